// The label the peers benchmark puts on every container it (or a peer it runs) makes: what it counts and removes.
export const PEERS_LABEL = 'pgdock-bench-peers';
