#!/usr/bin/env node
// The CLI is TypeScript; tsx loads it in place so `npx revoker` works straight after `npm ci`.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
