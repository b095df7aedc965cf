"""``kesu classify`` and ``kesu classifier train|eval|cfpb-split``: a Typer sub-app.

Register in services/cli.py with ``app.add_typer(classifier_app, name="classifier")`` and
``app.command("classify")(classify)``. Also runnable as ``python -m classifier.cli``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from itertools import islice
from pathlib import Path
from typing import Annotated, TextIO

import typer

classifier_app = typer.Typer(help="The complaint classifier: train, evaluate, classify.", no_args_is_help=True)
BATCH = 512

ModelOpt = Annotated[Path | None, typer.Option("--model", help="A trained model directory (default: current).")]
DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Embedded mode: SQLite and models under here.")]


def _settings(data_dir: Path | None):
    from classifier.settings import ClassifierSettings

    overrides = {"data_dir": data_dir, "database_url": None} if data_dir else {}
    return ClassifierSettings(**overrides)


def _classifier(model: Path | None, data_dir: Path | None = None):
    from classifier.loading import load_classifier

    return load_classifier(_settings(data_dir), model)


def classify_stream(classifier, source: TextIO, sink: TextIO) -> int:
    """Classify JSON lines {id, text[, language, channel, group_size]} in batches; returns the count."""
    from classifier.pipeline import ClassifyInput

    count = 0
    lines = (line for line in source if line and not line.isspace())
    while batch := list(islice(lines, BATCH)):
        rows = [json.loads(line) for line in batch]
        items = [ClassifyInput(str(r.get("text") or ""), r.get("language"), r.get("channel"),
                               int(r.get("group_size") or 1)) for r in rows]
        for row, result in zip(rows, classifier.classify_many(items)):
            sink.write(json.dumps({"id": row.get("id"), **result.as_dict()}, ensure_ascii=False) + "\n")
        count += len(rows)
    return count


def classify(model: ModelOpt = None, data_dir: DataDir = None) -> None:
    """Read JSON lines {"id", "text"[, "language", "channel"]} on stdin; write one result line per input."""
    classify_stream(_classifier(model, data_dir), sys.stdin, sys.stdout)


classifier_app.command("classify")(classify)


@classifier_app.command("eval")
def evaluate(
    data: Annotated[Path, typer.Option("--data", help="Labelled JSON lines with the classify field names.")],
    model: ModelOpt = None,
    data_dir: DataDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full report as JSON.")] = False,
    errors: Annotated[int, typer.Option(help="Also print this many misclassified business lines.")] = 0,
) -> None:
    """Print accuracy, macro-F1 and a confusion table per dimension for a labelled file."""
    from classifier.evaluation import evaluate as score
    from classifier.evaluation import render

    classifier = _classifier(model, data_dir)
    gold = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines() if line.strip()]
    predicted = predict_rows(classifier, gold)
    report = score(gold, predicted, classifier.taxonomy.labels("flags"))
    typer.echo(f"model {classifier.model_version}  taxonomy {classifier.taxonomy.version}  data {data}")
    typer.echo(json.dumps(report, ensure_ascii=False) if as_json else render(report))
    for g, p in [(g, p) for g, p in zip(gold, predicted) if g.get("business_line") != p["business_line"]][:errors]:
        typer.echo(f"  {g.get('id')}: gold {g['business_line']} got {p['business_line']}: {g['text'][:80]}")


def predict_rows(classifier, gold: list[dict]) -> list[dict]:
    """Classify labelled rows exactly as `kesu classify` would."""
    from classifier.pipeline import ClassifyInput

    items = [ClassifyInput(g["text"], g.get("language"), g.get("channel"), int(g.get("group_size") or 1))
             for g in gold]
    return [r.as_dict() for r in classifier.classify_many(items)]


@classifier_app.command("train")
def train(
    data_dir: DataDir = None,
    out: Annotated[Path | None, typer.Option(help="Model directory (default: the settings' model dir).")] = None,
    corrections: Annotated[bool, typer.Option(help="Learn from staff corrections in the database.")] = True,
    prune: Annotated[bool, typer.Option(help="Delete older versions in the output directory.")] = False,
) -> None:
    """Train a new model version from the packaged examples, the CFPB split and stored corrections."""
    from classifier import training

    settings = _settings(data_dir)
    rows, missing = asyncio.run(_corrections(settings)) if corrections else ([], 0)
    bundle = training.train(training.default_training_set(rows))
    path = training.save(bundle, out or settings.model_dir(), prune=prune)
    typer.echo(f"trained {bundle.version} -> {path}")
    typer.echo(f"examples: {json.dumps(bundle.meta['examples'])}; corrections used: {len(rows)}"
               + (f", skipped without stored text: {missing}" if missing else ""))


async def _corrections(settings) -> tuple[list[dict], int]:
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from classifier import handlers, models
    from shared.clock import SystemClock
    from shared.db import create_engine, session_factory
    from shared.uow import UnitOfWork

    engine = create_engine(settings.resolved_database_url())
    try:
        uow = UnitOfWork(session_factory(engine), source="kesu/classifier-cli", outbox=models.outbox,
                         inbox=models.inbox, topic_for=settings.topic, clock=SystemClock())
        async with uow:
            return await handlers.list_corrections(uow)
    except (OperationalError, ProgrammingError) as exc:
        typer.echo(f"no corrections read (database not migrated or unreachable: {type(exc).__name__})", err=True)
        return [], 0
    finally:
        await engine.dispose()


@classifier_app.command("cv")
def cross_validate(
    seeds: Annotated[str, typer.Option(help="Comma-separated fold seeds; each is one full 5-fold run.")] = "0",
    folds: Annotated[int, typer.Option(min=2, help="Folds per run.")] = 5,
    without_written: Annotated[bool, typer.Option(help="Leave out the hand-written English examples.")] = False,
) -> None:
    """Cross-validate English training on the CFPB training split (the held-out part is not read)."""
    from classifier import cfpb, crossval, training
    from classifier.lexicon import default_lexicon
    from classifier.taxonomy import default_taxonomy

    train_rows, _ = cfpb.split(cfpb.load_rows())
    gold = [row["business_line"] for row in train_rows]
    written = [] if without_written else training.written_english_examples() + training.english_flag_examples()
    for seed in (int(s) for s in seeds.split(",")):
        predicted = crossval.fold_predictions(train_rows, default_lexicon(), default_taxonomy(), folds=folds, seed=seed,
                                              written=written)
        typer.echo(json.dumps({"seed": seed, "rows": len(gold), **crossval.scores(gold, predicted)}))


@classifier_app.command("cfpb-split")
def cfpb_split(out: Annotated[Path, typer.Option(help="Directory for the held-out JSONL files.")]) -> None:
    """Write the CFPB held-out part (never trained on) and its class-balanced sample as JSON lines."""
    from classifier import cfpb

    _, held = cfpb.split(cfpb.load_rows())
    out.mkdir(parents=True, exist_ok=True)
    for name, rows in (("cfpb_heldout.jsonl", held), ("cfpb_heldout_balanced.jsonl", cfpb.balanced(held))):
        with (out / name).open("w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        typer.echo(f"{out / name}: {len(rows)} rows")


if __name__ == "__main__":
    classifier_app()
