import subprocess
import sys
from types import ModuleType

import newsearch


def test_public_api_is_exactly_all():
    public = {
        name for name in dir(newsearch)
        if not name.startswith("_") and not isinstance(getattr(newsearch, name), ModuleType)
    }
    assert public - {"annotations", "import_module", "TYPE_CHECKING", "Any"} == set(newsearch.__all__) - {"__version__"}
    for name in newsearch.__all__:
        assert getattr(newsearch, name) is not None


def test_unknown_names_raise_attribute_error():
    import pytest

    with pytest.raises(AttributeError):
        newsearch.NoSuchThing  # noqa: B018


def test_searching_does_not_import_click_the_html_stack_or_the_indexer():
    code = ("import sys, newsearch; from newsearch import Archive; "
            "print(sorted(m for m in ('click', 'bs4', 'lxml', 'newsearch.ingest', 'newsearch.lifecycle')"
            " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
