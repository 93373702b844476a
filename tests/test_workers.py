"""`make run WORKERS=N` (`python -m gateway dev --workers N`): several processes behind one port,
one /metrics for all of them, one follower of the change feeds."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support import dev_server


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.mark.timeout(180)
def test_four_workers_answer_as_one_gateway(tmp_path_factory: pytest.TempPathFactory) -> None:
    workdir = tmp_path_factory.mktemp("workers")
    settings = {"WORKERS": "4", "MOCK_PEOPLE": "2000", "CHANGE_FEED_POLL_SECONDS": "0.5"}
    with dev_server(workdir, **settings) as (url, _):
        # New connections each time: the kernel spreads them over the workers.
        for _ in range(40):
            assert httpx.get(f"{url}/healthz", timeout=10).status_code == 200
        samples = _samples(httpx.get(f"{url}/metrics", timeout=10).text)
        files = sorted(p.name for p in (workdir / ".data" / "metrics").glob("gauge_livemax_*.db"))

    assert samples[("gateway_watch_leader", ())] == 1, "one process follows the change feeds"
    assert len(files) == 4, "every worker writes its own metrics"
