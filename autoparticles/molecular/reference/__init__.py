"""The CP2K reference: input files, the resumable run, strict parsers of its output, the
dataset format and `generate` (run -> joined, converted dataset)."""
