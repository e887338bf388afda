/** The bundled default texture exemplars (public/exemplars), described by their index.json. */
export const EXEMPLAR_INDEX = 'exemplars/index.json';

export interface ExemplarIndex {
  source: string;
  files: string[];
}
