// js-md4 ships no types: the one call the simulator uses (Node's OpenSSL 3 has no MD4 for the NT hash).
declare module 'js-md4' {
  const md4: { arrayBuffer(message: ArrayBuffer | Uint8Array | string): ArrayBuffer };
  export default md4;
}
