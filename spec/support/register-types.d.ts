// Specs run with pgdock/register loaded (.mocharc.cjs). The spec project sees it through its
// declarations (tsconfig.spec.json), so its `this.pg` type for Mocha's Context is brought in here.
import '../../hooks/register.js';
