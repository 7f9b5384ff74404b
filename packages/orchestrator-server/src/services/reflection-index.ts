import { createRegistry, toBinary, type DescFile, type Registry } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";

/** The answer to one reflection question, shared by reflection v1 and v1alpha. */
export type ReflectionAnswer =
  | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
  | { case: "allExtensionNumbersResponse"; value: { baseTypeName: string; extensionNumber: number[] } }
  | { case: "listServicesResponse"; value: { service: { name: string }[] } }
  | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } };

/** The question part of a reflection request, as both versions shape it. */
export type ReflectionQuestion =
  | { case: "fileByFilename"; value: string }
  | { case: "fileContainingSymbol"; value: string }
  | { case: "fileContainingExtension"; value: { containingType: string; extensionNumber: number } }
  | { case: "allExtensionNumbersOfType"; value: string }
  | { case: "listServices"; value: string }
  | { case: undefined; value?: undefined };

/**
 * Answers server-reflection questions from the descriptors the server was
 * built with: file lookups return the file and everything it imports, as
 * serialized FileDescriptorProtos.
 */
export class ReflectionIndex {
  readonly #files = new Map<string, DescFile>();
  readonly #encoded = new Map<string, Uint8Array>();
  readonly #registry: Registry;
  readonly #serviceNames: readonly string[];

  constructor(files: readonly DescFile[], serviceNames: readonly string[]) {
    const visit = (file: DescFile): void => {
      if (this.#files.has(file.name)) return;
      this.#files.set(file.proto.name, file);
      file.dependencies.forEach(visit);
    };
    files.forEach(visit);
    this.#registry = createRegistry(...this.#files.values());
    this.#serviceNames = [...serviceNames].sort();
  }

  /** Answers one question; unknown names get a NOT_FOUND error response. */
  answer(question: ReflectionQuestion): ReflectionAnswer {
    switch (question.case) {
      case "listServices":
        return { case: "listServicesResponse", value: { service: this.#serviceNames.map((name) => ({ name })) } };
      case "fileByFilename":
        return this.#fileAnswer(this.#files.get(question.value), `file "${question.value}"`);
      case "fileContainingSymbol":
        return this.#fileAnswer(this.#fileOfSymbol(question.value), `symbol "${question.value}"`);
      case "fileContainingExtension": {
        const { containingType, extensionNumber } = question.value;
        const message = this.#registry.getMessage(containingType);
        const ext = message && this.#registry.getExtensionFor(message, extensionNumber);
        return this.#fileAnswer(ext?.file, `extension ${extensionNumber} of "${containingType}"`);
      }
      case "allExtensionNumbersOfType": {
        const message = this.#registry.getMessage(question.value);
        if (!message) return notFound(`type "${question.value}"`);
        const numbers: number[] = [];
        for (const desc of this.#registry) {
          if (desc.kind === "extension" && desc.extendee.typeName === message.typeName) numbers.push(desc.number);
        }
        return { case: "allExtensionNumbersResponse", value: { baseTypeName: message.typeName, extensionNumber: numbers } };
      }
      case undefined:
        return { case: "errorResponse", value: { errorCode: Code.InvalidArgument, errorMessage: "message_request is required" } };
    }
  }

  #fileOfSymbol(symbol: string): DescFile | undefined {
    const direct = this.#registry.get(symbol);
    if (direct) return direct.file;
    // A method ("pkg.Service.Method") or a field/value: look up the parent.
    const parent = symbol.slice(0, Math.max(0, symbol.lastIndexOf(".")));
    return parent ? this.#registry.get(parent)?.file : undefined;
  }

  #fileAnswer(file: DescFile | undefined, what: string): ReflectionAnswer {
    if (!file) return notFound(what);
    const closure: DescFile[] = [];
    const seen = new Set<string>();
    const visit = (f: DescFile): void => {
      if (seen.has(f.proto.name)) return;
      seen.add(f.proto.name);
      closure.push(f);
      f.dependencies.forEach(visit);
    };
    visit(file);
    return { case: "fileDescriptorResponse", value: { fileDescriptorProto: closure.map((f) => this.#encode(f)) } };
  }

  #encode(file: DescFile): Uint8Array {
    let bytes = this.#encoded.get(file.proto.name);
    if (!bytes) {
      bytes = toBinary(FileDescriptorProtoSchema, file.proto);
      this.#encoded.set(file.proto.name, bytes);
    }
    return bytes;
  }
}

function notFound(what: string): ReflectionAnswer {
  return { case: "errorResponse", value: { errorCode: Code.NotFound, errorMessage: `${what} not found` } };
}
