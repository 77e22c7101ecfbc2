"""The Python baseline of the scrub benchmark: Presidio's pattern recognizers, no NER model.

Reads the texts `cargo bench -p spark-redact --bench scrub` dumped (SCRUB_BENCH_DUMP), scrubs
the first BYTES of each with Presidio (analyze, then anonymize with its default placeholders)
and prints MB/s, the median of RUNS runs, as lines the bench script parses:

    presidio dense  <MB/s> <entities found>
    presidio plain  <MB/s> <entities found>

Presidio's default NLP engine wants a spaCy model that is not on PyPI; a blank English
pipeline (tokenizer only) stands in, so only Presidio's regex/checksum recognizers find PII,
which is the fair comparison for a regex engine.

    python presidio_baseline.py <dump dir> [BYTES] [RUNS]
"""

import logging
import statistics
import sys
import time
from pathlib import Path

import spacy
from presidio_analyzer import AnalyzerEngine
from presidio_analyzer.nlp_engine import SpacyNlpEngine
from presidio_anonymizer import AnonymizerEngine


class BlankSpacyEngine(SpacyNlpEngine):
    """SpacyNlpEngine over `spacy.blank("en")`: tokens, no entities, no download."""

    def __init__(self):
        super().__init__(models=[{"lang_code": "en", "model_name": "blank"}])

    def load(self):
        self.nlp = {"en": spacy.blank("en")}


def main():
    # tldextract (Presidio's URL and e-mail checks) tries to download the public suffix list,
    # logs a traceback when it cannot, and falls back to the copy it ships with.
    logging.getLogger("tldextract").setLevel(logging.CRITICAL)
    dump = Path(sys.argv[1])
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 64 * 1024
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    engine = BlankSpacyEngine()
    engine.load()
    analyzer = AnalyzerEngine(nlp_engine=engine, supported_languages=["en"])
    anonymizer = AnonymizerEngine()
    for label in ("dense", "plain"):
        data = (dump / f"{label}.txt").read_bytes()[:size]
        text = data.decode("utf-8", errors="ignore")
        analyzer.analyze(text=text[:4096], language="en")  # warm up
        times, found = [], 0
        for _ in range(runs):
            start = time.perf_counter()
            results = analyzer.analyze(text=text, language="en")
            anonymizer.anonymize(text=text, analyzer_results=results)
            times.append(time.perf_counter() - start)
            found = len(results)
        mbps = len(text.encode()) / (1 << 20) / statistics.median(times)
        print(f"presidio {label} {mbps:.3f} {found}", flush=True)


if __name__ == "__main__":
    main()
