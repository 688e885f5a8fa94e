// Copies the non-TypeScript files the compiled code loads at run time (Lua scripts) into dist/.
import { cpSync, existsSync, mkdirSync } from 'node:fs';

for (const [from, to] of [['src/queue/lua', 'dist/queue/lua']]) {
  if (!existsSync(from)) continue;
  mkdirSync(to, { recursive: true });
  cpSync(from, to, { recursive: true });
}
