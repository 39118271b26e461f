"""The language-model corpus read in chunks that end at line breaks, and split by position.

`load_corpus` + `split_text` (`textrnn.tasks.language_model.data`) hold the corpus as one
string and copy it into three; this module reads the same text again on each pass, about
`CHUNK_CHARS` characters at a time, each chunk cut just after a `"\\n"`:

- `CorpusChunks`: the chunks of a `.txt`/`.gz` file (decoded incrementally, with the checks
  `read_text` makes: a bad UTF-8 byte in strict mode or an empty file is an `InputError`
  naming the file), of the shipped tinyshakespeare, or of a table's or hub dataset's documents
  joined by newlines (as `load_corpus` joins them);
- `split_pieces`: the chunks cut where `split_text` cuts (the first line break at or after
  90% and 95% of the characters), tagged with the split they belong to.

Because every cut falls just after a line break, tokenizing the pieces one by one gives the
token stream of each whole split: the ids are identical to encoding the `split_text` parts.
"""

from __future__ import annotations

import codecs
import gzip
from collections.abc import Iterable, Iterator
from pathlib import Path

from textrnn import datasets as shipped
from textrnn.data import load_documents
from textrnn.text_files import check_encoding_errors, check_utf8, locate_bad_utf8

SPLITS = ("train", "validation", "test")
CHUNK_CHARS = 1 << 20  # characters per chunk (a few MB of token lists at char level)
DOCUMENTS_PER_CHUNK = 10_000


class CorpusChunks:
    """The corpus `load_corpus(data, text_column, encoding_errors)` returns, in chunks.

    Iterating yields consecutive strings, each ending with `"\\n"` (except perhaps the last),
    whose concatenation is that corpus; every iteration reads the input again.

    Args:
        data: None (the shipped tinyshakespeare), a `.txt`/`.gz` file, a csv/tsv/jsonl file
            or a hub name.
        text_column: the column holding the text (csv/tsv/jsonl/hub).
        encoding_errors: `"strict"` or `"replace"` (undecodable bytes become U+FFFD).
        chunk_chars: about how many characters a chunk holds (longer lines make longer ones;
            None: `CHUNK_CHARS`).
    """

    def __init__(self, data: str | None = None, text_column: str | None = None,
                 encoding_errors: str = "strict", chunk_chars: int | None = None):
        check_encoding_errors(encoding_errors)
        self.encoding_errors = encoding_errors
        self.chunk_chars = chunk_chars or CHUNK_CHARS
        self.path, self.documents = None, None
        path = Path(data) if data is not None else shipped.path("tinyshakespeare")
        if data is None or (path.suffix in (".txt", ".gz") and path.exists()
                            and text_column is None):
            self.path = path
            self._check_file()
        else:
            self.documents = load_documents(data, text_column=text_column,
                                            encoding_errors=encoding_errors)

    def __iter__(self) -> Iterator[str]:
        if self.documents is not None:
            for batch in self.documents.iter(batch_size=DOCUMENTS_PER_CHUNK):
                yield "\n".join(batch["text"]) + "\n"
            return
        yield from _line_chunks(self._decoded_blocks())

    def num_chars(self) -> int:
        """The length of the whole corpus in characters (one pass)."""
        return sum(map(len, self))

    def _decoded_blocks(self) -> Iterator[str]:
        decoder = codecs.getincrementaldecoder("utf-8")(self.encoding_errors)
        opener = gzip.open if self.path.suffix == ".gz" else open
        with opener(self.path, "rb") as handle:
            while block := handle.read(self.chunk_chars):
                yield decoder.decode(block)
        yield decoder.decode(b"", final=True)

    def _check_file(self) -> None:
        """As `read_text`: missing, empty or (strict) not UTF-8 is an `InputError`."""
        if not check_utf8(self.path) and self.encoding_errors == "strict":
            raise locate_bad_utf8(self.path)


def split_pieces(chunks: Iterable[str], num_chars: int,
                 fractions: tuple[float, float] = (0.9, 0.05)) -> Iterator[tuple[str, str]]:
    """`(split name, text)` pieces of the chunks, cut where `split_text` cuts the whole text.

    Args:
        chunks: the corpus in chunks (e.g. `CorpusChunks`).
        num_chars: the corpus length in characters.
        fractions: shares of train and validation; test gets the rest.
    """
    targets = (int(num_chars * fractions[0]), int(num_chars * (fractions[0] + fractions[1])))
    split, last_cut, start = 0, 0, 0
    for chunk in chunks:
        position = 0
        while split < len(targets):
            begin = max(max(targets[split], last_cut) - start, position)
            found = chunk.find("\n", begin) if begin < len(chunk) else -1
            if found < 0:
                break
            yield SPLITS[split], chunk[position:found + 1]
            position, last_cut, split = found + 1, start + found + 1, split + 1
        if position < len(chunk):
            yield SPLITS[split], chunk[position:]
        start += len(chunk)


def chunks_of(text: str, chunk_chars: int | None = None) -> Iterator[str]:
    """Consecutive slices of a text of about `chunk_chars` (None: `CHUNK_CHARS`), each cut
    just after a `"\\n"`."""
    chunk_chars, start = chunk_chars or CHUNK_CHARS, 0
    while start < len(text):
        cut = text.find("\n", start + chunk_chars - 1)
        end = len(text) if cut < 0 else cut + 1
        yield text[start:end]
        start = end


def _line_chunks(blocks: Iterable[str]) -> Iterator[str]:
    """Re-cut decoded blocks just after their last `"\\n"` (the rest joins the next block)."""
    rest = ""
    for block in blocks:
        text = rest + block
        cut = text.rfind("\n") + 1
        if cut:
            yield text[:cut]
        rest = text[cut:]
    if rest:
        yield rest
