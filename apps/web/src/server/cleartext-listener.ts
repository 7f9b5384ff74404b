import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";

/** The HTTP/2 connection preface a client with prior knowledge starts with. */
const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

type Handler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => void;

/**
 * A cleartext TCP server that answers HTTP/1.1 and HTTP/2 with prior
 * knowledge (h2c) on one port: it reads a connection's first bytes and
 * hands it to an HTTP/2 server when they are the HTTP/2 preface, else to an
 * HTTP/1.1 server. (Node's h2c server alone does not fall back to HTTP/1.1,
 * and browsers speak only HTTP/1.1 in clear text.)
 */
export function createCleartextServer(handler: Handler): net.Server {
  const h1 = http.createServer(handler);
  const h2 = http2.createServer(handler);
  return net.createServer((socket) => {
    let head = Buffer.alloc(0);
    const onData = (data: Buffer) => {
      head = Buffer.concat([head, data]);
      const n = Math.min(head.length, H2_PREFACE.length);
      const isH2 = head.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
      if (isH2 && n < H2_PREFACE.length) return; // wait for the whole preface
      socket.off("data", onData);
      socket.pause();
      socket.unshift(head);
      // The HTTP/2 session takes the buffered bytes from the paused socket itself; HTTP/1.1 reads them once resumed.
      (isH2 ? h2 : h1).emit("connection", socket);
      if (!isH2) socket.resume();
    };
    socket.on("data", onData);
    socket.on("error", () => socket.destroy());
  });
}
