// Plain JavaScript on purpose: it must run on any Node to tell an old one why nothing else will
// (the sources are TypeScript run by Node's type stripping, and the SDKs need Node 22.18+).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `draftbridge needs Node.js 22.18 or newer (24 LTS recommended); this is ${process.version}.\n`,
  );
  process.exit(1);
}
