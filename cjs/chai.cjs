'use strict';
// `require('pgdock/chai')`: chai.use() needs the plugin function itself, while require() of the
// ES module would return its namespace object ({ default, ... }). The function is the ES module's
// own, loaded through Node's require(esm): one instance whether a file imports or requires it.
module.exports = require('../dist/lib/chai/sql-assertions.js').default;
