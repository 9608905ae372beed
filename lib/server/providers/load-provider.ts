import type { ConcreteProvider } from '../../config/options.js';
import type { ServerProvider } from './provider.js';

/** Loads a provider's module only when it is used: dockerode alone costs 100+ ms to import. */
export async function loadProvider(name: ConcreteProvider): Promise<ServerProvider> {
  switch (name) {
    case 'docker':
      return (await import('./docker-server.js')).dockerServer;
    case 'embedded':
      return (await import('./embedded-server.js')).embeddedServer;
    case 'external':
      return (await import('./external-server.js')).externalServer;
  }
}
