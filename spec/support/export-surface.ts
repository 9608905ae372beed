import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';

/**
 * What a user of the packed package can reach: for each entry of package.json's exports map (and
 * its bin), under the `import` and `require` conditions, the names the module exports at run time
 * and the declaration surface of its `.d.ts`. Types are described by name and shape, never by the
 * file that declares them, so moving a type between files leaves the surface as it was, while a
 * changed signature, a removed export or a changed member of a type the package declares does not.
 */
export interface ExportSurface {
  /** Subpath → condition (`import`, `require`) → what that entry is. */
  entries: Record<string, Record<string, EntrySurface>>;
  bin: Record<string, { shebang: string }>;
  /** Every type the package declares that an entry reaches (through exports, signatures, members), by name. */
  types: Record<string, string[]>;
}

export interface EntrySurface {
  /** `name: typeof value` of each runtime export, or the error code loading it fails with. */
  runtime: string[] | { error: string };
  /** `name: kind type` of each export of the entry's declaration file. */
  declarations?: string[];
}

type Conditions = 'import' | 'require';
const CONDITIONS: Conditions[] = ['import', 'require'];

/** The file a (possibly nested) exports target resolves to for these conditions, in the map's own order. */
function resolveTarget(target: unknown, conditions: string[]): string | undefined {
  if (typeof target === 'string') return target;
  if (!target || typeof target !== 'object') return undefined;
  for (const [key, value] of Object.entries(target)) {
    if (key !== 'default' && !conditions.includes(key)) continue;
    const found = resolveTarget(value, conditions);
    if (found) return found;
  }
  return undefined;
}

/** Loads every entry in a child node process, through the package's own name (a self-reference). */
const RUNTIME_PROBE = `
import { createRequire } from 'node:module';
const [subpaths, dir] = JSON.parse(process.argv[1]);
const req = createRequire(dir + '/package.json');
const describe = (value) => {
  const names = Object.keys(value).filter((k) => k !== '__esModule' && k !== 'module.exports').sort();
  const own = typeof value === 'function' ? ['(module): function'] : [];
  return [...own, ...names.map((k) => k + ': ' + typeof value[k])];
};
const out = {};
for (const subpath of subpaths) {
  const spec = 'pgdock' + subpath.slice(1);
  const json = subpath.endsWith('.json');
  const load = {
    import: async () => (json ? { name: (await import(spec, { with: { type: 'json' } })).default.name } : import(spec)),
    require: async () => (json ? { name: req(spec).name } : req(spec)),
  };
  out[subpath] = {};
  for (const [condition, fn] of Object.entries(load)) {
    try {
      const value = await fn();
      out[subpath][condition] = json ? ['name: ' + value.name] : describe(value);
    } catch (err) {
      out[subpath][condition] = { error: err.code ?? err.name };
    }
  }
}
process.stdout.write(JSON.stringify(out));
`;

async function runtimeSurface(packageDir: string, subpaths: string[]): Promise<Record<string, Record<Conditions, EntrySurface['runtime']>>> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '--no-warnings', '-e', RUNTIME_PROBE, JSON.stringify([subpaths, packageDir])], {
    cwd: packageDir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
  });
  return JSON.parse(stdout) as Record<string, Record<Conditions, EntrySurface['runtime']>>;
}

/** `import("/some/path", { with: … }).Name` → `Name`: where a type lives is not part of the surface. */
function withoutPaths(text: string): string {
  return text.replace(/import\("[^"]*"(?:, \{[^()]*\})?\)\./g, '');
}

const FORMAT = ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.WriteArrayAsGenericType | ts.TypeFormatFlags.UseFullyQualifiedType;

/** Reads the declaration files of the entries with one TypeScript program. */
class DeclarationReader {
  private readonly program: ts.Program;
  private readonly checker: ts.TypeChecker;
  readonly types = new Map<string, Set<string>>();
  private readonly queued = new Set<ts.Symbol>();

  constructor(private readonly packageDir: string, files: string[]) {
    this.program = ts.createProgram(files, {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: [],
    });
    this.checker = this.program.getTypeChecker();
  }

  /** `name: kind type` for each export of the file, plus the members of module augmentations it declares. */
  exportsOf(file: string): string[] {
    const source = this.program.getSourceFile(file);
    if (!source) throw new Error(`TypeScript did not load ${file}`);
    const moduleSymbol = this.checker.getSymbolAtLocation(source);
    const lines: string[] = [];
    if (moduleSymbol) {
      const exportEquals = moduleSymbol.exports?.get(ts.InternalSymbolName.ExportEquals);
      const symbols = exportEquals ? [exportEquals] : this.checker.getExportsOfModule(moduleSymbol);
      for (const symbol of symbols) lines.push(`${symbol.name}: ${this.describeExport(symbol)}`);
    }
    for (const statement of source.statements) {
      if (!ts.isModuleDeclaration(statement) || !ts.isStringLiteral(statement.name)) continue;
      const augmented = statement.name.text;
      statement.body?.forEachChild((node) => {
        if (!ts.isInterfaceDeclaration(node)) return;
        const symbol = this.checker.getSymbolAtLocation(node.name);
        for (const member of node.members) {
          const memberSymbol = member.name && this.checker.getSymbolAtLocation(member.name);
          if (!symbol || !memberSymbol) continue;
          lines.push(`declare module '${augmented}' ${node.name.text}.${memberSymbol.name}: ${this.typeText(this.checker.getTypeOfSymbol(memberSymbol))}`);
          this.follow(member);
        }
      });
    }
    return lines.sort();
  }

  private describeExport(exported: ts.Symbol): string {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? this.checker.getAliasedSymbol(exported) : exported;
    const parts: string[] = [];
    if (symbol.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias | ts.SymbolFlags.Enum)) parts.push(`type ${symbol.name}`);
    if (symbol.flags & ts.SymbolFlags.Class) parts.push(`class ${symbol.name}`);
    if (symbol.flags & ts.SymbolFlags.Value && !(symbol.flags & ts.SymbolFlags.Class)) parts.push(`value ${this.typeText(this.checker.getTypeOfSymbol(symbol))}`);
    this.queue(symbol);
    return parts.join(' & ');
  }

  private typeText(type: ts.Type): string {
    return withoutPaths(this.checker.typeToString(type, undefined, FORMAT));
  }

  /** Declared in the package (not in a dependency or in TypeScript's lib): part of its surface. */
  private ownDeclarations(symbol: ts.Symbol): ts.Declaration[] {
    return (symbol.declarations ?? []).filter((d) => {
      const path = relative(this.packageDir, d.getSourceFile().fileName);
      return !path.startsWith('..') && !path.split(sep).includes('node_modules');
    });
  }

  private queue(symbol: ts.Symbol): void {
    if (this.queued.has(symbol) || this.ownDeclarations(symbol).length === 0) return;
    this.queued.add(symbol);
    const shape = this.shapeOf(symbol);
    if (shape) {
      const seen = this.types.get(symbol.name) ?? new Set<string>();
      seen.add(shape);
      this.types.set(symbol.name, seen);
    }
    for (const declaration of this.ownDeclarations(symbol)) this.follow(declaration);
  }

  /** Queues every type the package declares that this node names (in signatures, members, heritage). */
  private follow(node: ts.Node): void {
    const visit = (child: ts.Node): void => {
      if (ts.isTypeReferenceNode(child) || ts.isExpressionWithTypeArguments(child) || ts.isTypeQueryNode(child)) {
        const name = ts.isTypeReferenceNode(child) ? child.typeName : ts.isTypeQueryNode(child) ? child.exprName : child.expression;
        let symbol = this.checker.getSymbolAtLocation(name);
        if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = this.checker.getAliasedSymbol(symbol);
        if (symbol) this.queue(symbol);
      }
      if (ts.isImportTypeNode(child)) {
        const symbol = this.checker.getTypeFromTypeNode(child).aliasSymbol ?? this.checker.getTypeFromTypeNode(child).getSymbol();
        if (symbol) this.queue(symbol);
      }
      child.forEachChild(visit);
    };
    node.forEachChild(visit);
  }

  /** The shape of a type the package declares: an alias's definition, an interface's or class's members, an enum's values. */
  private shapeOf(symbol: ts.Symbol): string | undefined {
    const checker = this.checker;
    if (symbol.flags & ts.SymbolFlags.TypeAlias) {
      const declaration = this.ownDeclarations(symbol).find(ts.isTypeAliasDeclaration);
      const params = declaration?.typeParameters?.map((p) => p.getText()).join(', ');
      return `type${params ? `<${params}>` : ''} = ${withoutPaths(checker.typeToString(checker.getDeclaredTypeOfSymbol(symbol), undefined, FORMAT | ts.TypeFormatFlags.InTypeAlias))}`;
    }
    if (symbol.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.Class)) {
      const type = checker.getDeclaredTypeOfSymbol(symbol);
      const members = checker.getPropertiesOfType(type).map((p) => this.memberText(p));
      for (const signature of type.getCallSignatures()) members.push(withoutPaths(checker.signatureToString(signature, undefined, FORMAT)));
      for (const info of checker.getIndexInfosOfType(type)) members.push(`[key: ${this.typeText(info.keyType)}]: ${this.typeText(info.type)}`);
      if (symbol.flags & ts.SymbolFlags.Class) {
        const constructor = checker.getTypeOfSymbol(symbol);
        for (const signature of constructor.getConstructSignatures()) members.push(`new ${withoutPaths(checker.signatureToString(signature, undefined, FORMAT))}`);
        for (const property of checker.getPropertiesOfType(constructor)) if (property.name !== 'prototype') members.push(`static ${this.memberText(property)}`);
      }
      const declaration = this.ownDeclarations(symbol).find((d) => ts.isInterfaceDeclaration(d) || ts.isClassDeclaration(d)) as ts.InterfaceDeclaration | ts.ClassDeclaration | undefined;
      const params = declaration?.typeParameters?.map((p) => p.getText()).join(', ');
      return `${symbol.flags & ts.SymbolFlags.Class ? 'class' : 'interface'}${params ? `<${params}>` : ''} { ${members.sort().join('; ')} }`;
    }
    if (symbol.flags & ts.SymbolFlags.Enum) return `enum ${this.typeText(checker.getDeclaredTypeOfSymbol(symbol))}`;
    return undefined;
  }

  private memberText(property: ts.Symbol): string {
    const declaration = property.valueDeclaration ?? property.declarations?.[0];
    const modifiers = declaration ? ts.getCombinedModifierFlags(declaration) : ts.ModifierFlags.None;
    const prefix = [modifiers & ts.ModifierFlags.Private ? 'private ' : '', modifiers & ts.ModifierFlags.Protected ? 'protected ' : '', modifiers & ts.ModifierFlags.Readonly ? 'readonly ' : ''].join('');
    const optional = property.flags & ts.SymbolFlags.Optional ? '?' : '';
    if (declaration) this.follow(declaration);
    return `${prefix}${property.name}${optional}: ${this.typeText(this.checker.getTypeOfSymbol(property))}`;
  }
}

/**
 * The export surface of an unpacked package (the folder holding its package.json). Its
 * dependencies must resolve from there, as they do in a folder under the install's node_modules.
 */
export async function exportSurface(packageDir: string): Promise<ExportSurface> {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { exports: Record<string, unknown>; bin?: Record<string, string> };
  const subpaths = Object.keys(manifest.exports).sort();
  const typeFiles = new Map<string, string>();
  for (const subpath of subpaths) {
    for (const condition of CONDITIONS) {
      const types = resolveTarget(manifest.exports[subpath], [condition, 'types']);
      if (types && /\.d\.[cm]?ts$/.test(types)) typeFiles.set(`${subpath} ${condition}`, join(packageDir, types));
    }
  }
  const reader = new DeclarationReader(packageDir, [...new Set(typeFiles.values())]);
  const runtime = await runtimeSurface(packageDir, subpaths);
  const entries: ExportSurface['entries'] = {};
  for (const subpath of subpaths) {
    entries[subpath] = {};
    for (const condition of CONDITIONS) {
      const file = typeFiles.get(`${subpath} ${condition}`);
      const entry: EntrySurface = { runtime: runtime[subpath]?.[condition] ?? { error: 'not probed' } };
      if (file) entry.declarations = reader.exportsOf(file);
      entries[subpath]![condition] = entry;
    }
  }
  const bin: ExportSurface['bin'] = {};
  for (const [name, path] of Object.entries(manifest.bin ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    const file = join(packageDir, path);
    bin[name] = { shebang: existsSync(file) ? (readFileSync(file, 'utf8').split('\n')[0] ?? '') : 'missing' };
  }
  const types: ExportSurface['types'] = {};
  for (const name of [...reader.types.keys()].sort()) types[name] = [...reader.types.get(name)!].sort();
  return { entries, bin, types };
}
