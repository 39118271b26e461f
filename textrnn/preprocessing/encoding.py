"""Encoding a corpus to ids and writing it as a `datasets` folder, in bounded memory.

Batches of documents are tokenized and looked up in the vocabulary (in worker processes with
`num_proc > 1`, see `textrnn.preprocessing.parallel`) and appended to an Arrow stream, straight
into the output folder: memory is bounded by a few batches. The folder is the one
`Dataset.save_to_disk` writes (`datasets.load_from_disk` reads it). It is made by saving a
one-row placeholder with the same features and writing the stream over the data file that its
`state.json` lists, because saving a finished `Dataset` would read the whole encoded corpus
back through a memory map, and the mapped pages count towards the process' resident memory
(a 200 MB corpus measured 1.6x the peak of a 20 MB one that way, against 1.0x now).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import datasets
import pyarrow as pa

from textrnn.preprocessing.corpus_reader import Corpus
from textrnn.preprocessing.counting import gc_paused
from textrnn.preprocessing.parallel import map_batches
from textrnn.preprocessing.vocabulary import Vocabulary

IDS = pa.schema([pa.field("ids", pa.list_(pa.int32()))])


def encode_corpus(corpus: Corpus, tokenizer: Any, vocab: Vocabulary, out: str | os.PathLike,
                  num_proc: int = 1, batch_size: int = 1000) -> int:
    """Write every document's ids to `out` (`datasets.load_from_disk` reads it back).

    Args:
        corpus: the documents.
        tokenizer: a textrnn `Tokenizer` (pickled to workers as its config).
        vocab: token -> id (unknown tokens get `vocab.unk_id`).
        out: the output folder: one column, `ids`, a list of int32 per document.
        num_proc: worker processes.
        batch_size: documents per batch.

    Returns:
        The number of documents written.
    """
    rows = 0
    with pa.OSFile(str(_dataset_folder(Path(out))), "wb") as sink, \
            pa.ipc.new_stream(sink, IDS) as writer:
        for ids in map_batches(encode_batch, corpus.batches(batch_size), (tokenizer, vocab),
                               num_proc):
            writer.write_batch(pa.record_batch([pa.array(ids, pa.list_(pa.int32()))],
                                               schema=IDS))
            rows += len(ids)
    return rows


def encode_batch(state: tuple[Any, Vocabulary], texts: list[str]) -> list[list[int]]:
    """The ids of each document of a batch; `state` is `(tokenizer, vocab)`."""
    tokenizer, vocab = state
    with gc_paused():
        return [vocab.encode(tokens) for tokens in tokenizer.tokenize_batch(texts)]


def _dataset_folder(out: Path) -> Path:
    """Write a `save_to_disk` folder of one placeholder row; return the data file it lists."""
    placeholder = pa.table([pa.array([[0]], pa.list_(pa.int32()))], schema=IDS)
    datasets.Dataset(placeholder).save_to_disk(str(out))
    files = json.loads((out / "state.json").read_text(encoding="utf-8"))["_data_files"]
    return out / files[0]["filename"]
