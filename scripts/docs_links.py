"""A MkDocs hook (mkdocs.yml ``hooks:``): links in the pages that point into the repository outside docs/
(``../plugins/openai/tests/test_openai_contract.py#L53``, as GitHub shows them) become links to the file in
the source repository (``extra.source_url``), and links that leave docs/ only to come back into it
(``../docs/compatibility.md``) become plain page links. A link to a file that does not exist is left as it is,
so ``mkdocs build --strict`` still fails on it."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

# A Markdown link's target, and its title if any: [text](target "title").
_LINK = re.compile(r"\]\((?!https?://|mailto:|#)([^)\s]+)((?:\s+\"[^\"]*\")?)\)")


def rewrite(markdown: str, page: Path, docs: Path, source_url: str) -> str:
    """``markdown`` of the page at ``page`` (a path under ``docs``) with its outside links rewritten."""
    root = docs.parent

    def one(match: re.Match[str]) -> str:
        target, title = match.group(1), match.group(2)
        path, _, fragment = target.partition("#")
        resolved = Path(os.path.normpath(page.parent / path)) if path else page
        suffix = f"#{fragment}" if fragment else ""
        if not path or not resolved.exists():
            return match.group(0)
        if resolved.is_relative_to(docs):
            if ".." not in Path(path).parts:
                return match.group(0)
            return f"]({os.path.relpath(resolved, page.parent)}{suffix}{title})"
        if not resolved.is_relative_to(root):
            return match.group(0)
        return f"]({source_url.rstrip('/')}/{resolved.relative_to(root).as_posix()}{suffix}{title})"

    return _LINK.sub(one, markdown)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """MkDocs' hook: called with each page's Markdown before it is rendered."""
    docs = Path(config["docs_dir"]).resolve()
    source_url = config["extra"].get("source_url", "")
    return rewrite(markdown, docs / page.file.src_path, docs, source_url)
