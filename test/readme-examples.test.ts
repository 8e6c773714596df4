import { readFileSync } from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

// README examples must compile against the real API: every ```ts block (and every ```mts block, the
// TypeScript-only examples that jsii-rosetta leaves untranslated) is type-checked as its own module, with
// 'cdk-stream-triggered-table' resolved to src/. A block marked `ts fixture=NAME` is put where jsii-rosetta
// puts it, in place of `/// here` in rosetta/NAME.ts-fixture.
const root = path.join(__dirname, '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf-8');
const blocks = [...readme.matchAll(/```m?ts( [^\n]*)?\n([\s\S]*?)```/g)].map(([, info, code]) => {
  const fixture = /\bfixture=(\S+)/.exec(info ?? '')?.[1];
  return fixture ? readFileSync(path.join(root, 'rosetta', `${fixture}.ts-fixture`), 'utf-8').replace('/// here', () => code) : code;
});

test('the README has the examples it promises', () => {
  expect(blocks.length).toBeGreaterThanOrEqual(5);
});

test('every TypeScript example in the README compiles', () => {
  const files = new Map<string, string>();
  blocks.forEach((code, i) => files.set(path.join(root, 'test', `__readme_${i}.ts`), `${code}\nexport {};\n`));
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    esModuleInterop: true,
    skipLibCheck: true,
    baseUrl: root,
    paths: {
      'cdk-stream-triggered-table': ['src/index.ts'],
      'cdk-stream-triggered-table/assets/local-runner': ['local/index.ts'],
      'cdk-stream-triggered-table/local': ['local/index.ts'],
    },
    types: ['node', 'jest'], // the TypeScript-only examples include a jest test file
    experimentalDecorators: true,
    noUnusedLocals: false,
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  host.readFile = (f) => files.get(f) ?? readFile(f);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (f) => files.has(f) || fileExists(f);
  const program = ts.createProgram([...files.keys()], options, host);
  const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file ? `${path.basename(d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}` : '';
    return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
  expect(diagnostics).toEqual([]);
});
