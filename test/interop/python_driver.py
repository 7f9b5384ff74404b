"""The Python grpcio driver of the interop matrix (python-stack.ts).

Reads a plan on stdin: {"socket": path, "stubs": {service: [pb2 module,
pb2_grpc module]}, "calls": [PlannedCall, ...]} (see scenarios.ts), makes
each call with the generated stubs over the Unix socket, and prints one JSON
list of observations: {"id", "code", "message", "responses"} with responses
in proto3 JSON (json_format.MessageToDict). Run it with /usr/bin/python3 and
the generated stubs on PYTHONPATH.
"""

import importlib
import json
import sys
import threading

import grpc
from google.protobuf import json_format

CALL_TIMEOUT_S = 20


def value_at(obj, path):
    for key in path.split("."):
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj


def stops_after(call, responses):
    if call.get("take") is not None and len(responses) >= call["take"]:
        return True
    until = call.get("until")
    return bool(until) and value_at(responses[-1], until["path"]) == until["equals"]


def make_call(channel, stubs, call):
    pb2_name, grpc_name = stubs[call["service"]]
    pb2 = importlib.import_module(pb2_name)
    pb2_grpc = importlib.import_module(grpc_name)
    service_name = call["service"].rsplit(".", 1)[1]
    method = pb2.DESCRIPTOR.services_by_name[service_name].methods_by_name[call["method"]]
    request_class = getattr(pb2, method.input_type.name)
    requests = [json_format.ParseDict(r, request_class()) for r in call["requests"]]
    stub = getattr(getattr(pb2_grpc, service_name + "Stub")(channel), call["method"])
    metadata = [("authorization", "Bearer " + call["token"])] if call.get("token") else []
    responses = []
    stopped = False
    done = threading.Event()

    def request_stream():
        # send the requests, then keep the request side open until the answer is read
        yield from requests
        done.wait(CALL_TIMEOUT_S)

    try:
        if call["kind"] == "unary":
            responses.append(json_format.MessageToDict(stub(requests[0], metadata=metadata, timeout=CALL_TIMEOUT_S)))
            return {"id": call["id"], "code": "OK", "responses": responses}
        argument = requests[0] if call["kind"] == "server_streaming" else request_stream()
        stream = stub(argument, metadata=metadata, timeout=CALL_TIMEOUT_S)
        for response in stream:
            responses.append(json_format.MessageToDict(response))
            if stops_after(call, responses):
                stopped = True
                stream.cancel()
                break
        return {"id": call["id"], "code": "OK", "responses": responses}
    except grpc.RpcError as err:
        code = "OK" if stopped else err.code().name
        return {"id": call["id"], "code": code, "message": err.details(), "responses": responses}
    finally:
        done.set()


def main():
    plan = json.load(sys.stdin)
    with grpc.insecure_channel("unix:" + plan["socket"]) as channel:
        observed = [make_call(channel, plan["stubs"], call) for call in plan["calls"]]
    json.dump(observed, sys.stdout)


if __name__ == "__main__":
    main()
