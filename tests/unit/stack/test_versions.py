"""stack/versions.yaml is the one pin file: the builder manifest, cache keys and images agree with it."""
from __future__ import annotations

import re

import yaml

from vibes_stack import binaries, config, paths


def test_collector_manifest_matches_the_pinned_version():
    v = binaries.versions()["collector"]
    manifest = yaml.safe_load((paths.REPO_ROOT / v["manifest"]).read_text())
    assert manifest["dist"]["version"] == v["version"]
    for section in ("extensions", "receivers", "processors", "exporters"):
        for entry in manifest[section]:
            assert entry["gomod"].endswith(f" v{v['version']}"), entry["gomod"]
    assert v["image"].endswith(":" + v["version"])


def test_cache_keys_carry_version_and_manifest_hash():
    v = binaries.versions()
    col = binaries.cache_path("collector")
    assert col.parent.name == f"collector-{v['collector']['version']}-{binaries.manifest_hash()}"
    assert binaries.cache_path("jaeger").parent.name == f"jaeger-{v['jaeger']['version']}"
    assert str(col).startswith(str(paths.cache_bin_dir()))


def test_every_image_is_pinned_to_its_version():
    v = binaries.versions()
    for component, pins in v.items():
        image = pins["image"]
        assert re.match(r"^[a-z0-9./-]+:[A-Za-z0-9._-]+$", image) and not image.endswith(":latest"), image
        if "version" in pins and component != "collector":
            assert image.rsplit(":", 1)[1].lstrip("v") == pins["version"], (component, image)


def test_resolution_order_explicit_then_path_then_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    (tmp_path / "bin").mkdir()

    def exe(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)
        return str(path)

    assert binaries.find("prometheus") == (None, "missing")
    go_built = exe(binaries.prometheus_go_cache_path())
    assert binaries.find("prometheus") == (go_built, "cache (Go build)")
    cached = exe(binaries.cache_path("jaeger"))
    assert binaries.find("jaeger") == (cached, "cache")
    on_path = exe(tmp_path / "bin" / "jaeger")
    assert binaries.find("jaeger") == (on_path, "PATH")
    explicit = exe(tmp_path / "opt" / "my-jaeger")
    assert binaries.find("jaeger", {"jaeger": explicit}) == (explicit, "stack config")
    import pytest
    with pytest.raises(config.StackConfigError, match="binaries.jaeger: '/nope' is not an executable file"):
        binaries.find("jaeger", {"jaeger": "/nope"})
