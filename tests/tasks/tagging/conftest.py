"""A tiny tagged corpus where the tag follows from the word's spelling and context."""

import pytest

CONLLU = """# sent_id = 1
# text = The dog runs.
1\tThe\tthe\tDET\tDT\t_\t2\tdet\t_\t_
2\tdog\tdog\tNOUN\tNN\t_\t3\tnsubj\t_\t_
3\truns\trun\tVERB\tVBZ\t_\t0\troot\t_\tSpaceAfter=No
4\t.\t.\tPUNCT\t.\t_\t3\tpunct\t_\t_

# sent_id = 2
1-2\tdon't\t_\t_\t_\t_\t_\t_\t_\t_
1\tdo\tdo\tAUX\tVBP\t_\t3\taux\t_\t_
2\tn't\tnot\tPART\tRB\t_\t3\tadvmod\t_\t_
2.1\tgo\tgo\tVERB\tVB\t_\t_\t_\t_\t_
3\tgo\tgo\tVERB\tVB\t_\t0\troot\t_\t_

"""


def toy_sentences(count: int = 120, seed: int = 0):
    """`DET NOUN VERB PUNCT`-like sentences: nouns end in -og, verbs in -s, made-up stems."""
    import random

    rng = random.Random(seed)
    stems = ["d", "fr", "l", "b", "h", "c", "cl", "sm", "j", "n", "p", "t"]
    sentences = []
    for _ in range(count):
        tokens, tags = [], []
        for _ in range(rng.randint(1, 3)):
            tokens += [rng.choice(["the", "a"]), rng.choice(stems) + "og",
                       rng.choice(stems) + "ims"]
            tags += ["DET", "NOUN", "VERB"]
        sentences.append((tokens + ["."], tags + ["PUNCT"]))
    return sentences


@pytest.fixture
def conllu_file(tmp_path):
    path = tmp_path / "tiny.conllu"
    path.write_text(CONLLU, encoding="utf-8")
    return path


@pytest.fixture
def toy():
    return toy_sentences()
