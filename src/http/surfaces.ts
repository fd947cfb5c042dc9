import type { FastifyInstance } from 'fastify';
import type { ServerOptions } from './options.js';

/**
 * Registers every wire surface, one line each. A new wire format is one folder in `surfaces/` and one line here.
 */
export const registerSurfaces = async (_app: FastifyInstance, _options: ServerOptions): Promise<void> => {};
