import type { ServiceImpl } from "@connectrpc/connect";
import type { ServerReflection as ServerReflectionV1 } from "@baaaht/proto/grpc/reflection/v1";
import type { ServerReflection as ServerReflectionV1alpha } from "@baaaht/proto/grpc/reflection/v1alpha";
import type { ReflectionIndex, ReflectionQuestion } from "./reflection-index.js";

/** Answers each request of the stream in order: the same for reflection v1 and v1alpha, whose messages have one shape. */
async function* answerEach<Req extends { host: string; messageRequest: ReflectionQuestion }>(
  index: ReflectionIndex,
  requests: AsyncIterable<Req>,
) {
  for await (const req of requests) {
    yield { validHost: req.host, originalRequest: req, messageResponse: index.answer(req.messageRequest) };
  }
}

/** grpc.reflection.v1.ServerReflection: one answer per request, in order. */
export function createReflectionV1Service(index: ReflectionIndex): ServiceImpl<typeof ServerReflectionV1> {
  return { serverReflectionInfo: (requests) => answerEach(index, requests) };
}

/** grpc.reflection.v1alpha.ServerReflection, for older tools; same answers as v1. */
export function createReflectionV1alphaService(index: ReflectionIndex): ServiceImpl<typeof ServerReflectionV1alpha> {
  return { serverReflectionInfo: (requests) => answerEach(index, requests) };
}
