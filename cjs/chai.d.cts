// Types of `require('pgdock/chai')`: the chai plugin function itself.
declare const sqlAssertions: typeof import('../dist/lib/sql-assertions.js').default;
export = sqlAssertions;
