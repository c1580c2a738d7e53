// mistral-tokenizer-js ships no type declarations; only the fields poet reads are declared.
declare module 'mistral-tokenizer-js' {
  interface MistralTokenizer {
    vocabById: string[];
    vocabByString: Map<string, number>;
    merges: Map<string, number>;
    encode(prompt: string, addBosToken?: boolean, addPrecedingSpace?: boolean): number[];
    decode(ids: number[], addBosToken?: boolean, addPrecedingSpace?: boolean): string;
  }
  const mistralTokenizer: MistralTokenizer;
  export default mistralTokenizer;
}
