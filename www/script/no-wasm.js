// Simulates a browser without WebAssembly (or with it disabled by policy).
Object.defineProperty(window, 'WebAssembly', { value: undefined, configurable: true, writable: true });
