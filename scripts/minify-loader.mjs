// Minifies the split bundle's chunk loader (`pkg/__wasm_split.<hash>.js`) of
// a release build in place, and writes its precompressed copies again.
// cargo-leptos minifies the app's own script but writes this one as
// generated: readable, with comments and long names, part of every first
// load. Its name keeps the hash cargo-leptos gave it: the same loader always
// minifies to the same file.
// Usage: node scripts/minify-loader.mjs <site pkg dir>
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, gzipSync, constants } from "node:zlib";
import { minify } from "terser";

const dir = process.argv[2];
if (!dir) throw new Error("usage: minify-loader.mjs <pkg dir>");
const loaders = readdirSync(dir).filter((f) => /^__wasm_split\..+\.js$/.test(f));
if (loaders.length !== 1) throw new Error(`expected one chunk loader in ${dir}, found ${loaders.length}`);
const file = join(dir, loaders[0]);
const source = readFileSync(file, "utf8");
const { code } = await minify(source, { module: true, ecma: 2020, compress: { passes: 2 }, mangle: true });
if (!code.includes("import.meta.url")) throw new Error("minified loader lost its import.meta.url");
writeFileSync(file, code);
writeFileSync(`${file}.br`, brotliCompressSync(code, {
  params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT },
}));
writeFileSync(`${file}.gz`, gzipSync(code, { level: 9 }));
console.log(`${loaders[0]}: ${source.length} -> ${code.length} B`);
