/** An ES module (kubernetes-models is one), loaded from this CommonJS code: TypeScript would turn `import()` into `require()`. */
export const esmImport = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<any>;
