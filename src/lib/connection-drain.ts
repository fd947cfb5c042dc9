import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Tracks an HTTP server's connections and their requests in flight, so that a shutdown can close every connection
 * that carries no request (idle keep-alive ones, and those that never sent a complete request) at once, each other
 * one as soon as its last response is sent, and all of them when the grace runs out. Node's own `close` waits for
 * connections that have not sent a request yet, and keeps those that answer during the shutdown open until their
 * keep-alive timeout.
 */
export const trackConnections = (server: Server) => {
  // Sends what is written, then closes both ways: an HTTP server's sockets are half-open, and a client that never
  // closes its side must not hold the shutdown.
  const close = (socket: Socket): void => {
    socket.end(() => socket.destroy());
  };
  const inFlight = new Map<Socket, number>();
  let draining = false;

  server.on('connection', (socket: Socket) => {
    if (draining) {
      socket.destroy();
      return;
    }
    inFlight.set(socket, 0);
    socket.once('close', () => inFlight.delete(socket));
  });
  server.on('request', (request, response) => {
    const socket = request.socket;
    if (!inFlight.has(socket)) return;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    response.once('close', () => {
      const left = (inFlight.get(socket) ?? 1) - 1;
      if (!inFlight.has(socket)) return;
      inFlight.set(socket, left);
      if (draining && left === 0) close(socket);
    });
  });

  return {
    /** Connections open now, and requests in flight on them. */
    counts: (): { connections: number; requests: number } => {
      let requests = 0;
      for (const n of inFlight.values()) requests += n;
      return { connections: inFlight.size, requests };
    },
    /** From now on: idle connections close, busy ones close after their last response, new ones are refused. */
    drain: (): void => {
      draining = true;
      for (const [socket, n] of inFlight) if (n === 0) close(socket);
    },
    /** Closes every connection at once, requests in flight included. */
    destroyAll: (): void => {
      for (const socket of inFlight.keys()) socket.destroy();
    },
  };
};
