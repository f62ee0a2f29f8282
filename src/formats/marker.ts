/** The Edge reads a file only once a marker of the same name plus this suffix exists (SPEC §4.1). */
export const MARKER_SUFFIX = '.DONE';
