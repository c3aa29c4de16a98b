"""Generated documents shared by the document tests, rendered once a session because it is slow."""

import pytest
from PIL import Image

from tests.documents import generate


@pytest.fixture(scope="session")
def licence_back() -> Image.Image:
    return generate.photograph(generate.render_licence_back(generate.SAMPLE_LICENCE))


@pytest.fixture(scope="session")
def licence_front() -> Image.Image:
    return generate.photograph(generate.render_licence_front(generate.SAMPLE_LICENCE))
