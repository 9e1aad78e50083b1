// @ewsjs/ntlm-client ships no types: the three message functions draftbridge uses.
declare module '@ewsjs/ntlm-client' {
  export interface Type2Message {
    flags: number;
    encoding: 'ascii' | 'ucs2';
    version: 1 | 2;
    challenge: Buffer;
    targetName: string;
    targetInfo?: { parsed: Record<string, string>; buffer: Buffer };
  }
  export function createType1Message(workstation?: string, target?: string): string;
  export function decodeType2Message(header: string): Type2Message;
  export function createType3Message(
    type2: Type2Message,
    username: string,
    password: string,
    workstation?: string,
    target?: string,
  ): string;
  const ntlm: {
    createType1Message: typeof createType1Message;
    decodeType2Message: typeof decodeType2Message;
    createType3Message: typeof createType3Message;
  };
  export default ntlm;
}
