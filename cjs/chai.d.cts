// Types of `require('pgdock/chai')`: the chai plugin function itself.
declare const sqlAssertions: typeof import('../dist/lib/chai/sql-assertions.js').default;
export = sqlAssertions;
