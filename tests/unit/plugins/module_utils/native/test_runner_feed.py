"""CommandRunner.feed: a byte stream into a command's standard input, without holding it."""

import os

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.errors import CommandError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.runner import CommandRunner


def never(*args, **kwargs):
    raise AssertionError("run_command must not be used by feed()")


def test_feed_streams_chunks_into_the_command(tmp_path):
    target = tmp_path / "out"
    runner = CommandRunner(never)
    chunk = os.urandom(1 << 16)

    def produce(write):
        for _index in range(64):
            write(chunk)

    result = runner.feed(["sh", "-c", 'cat > "$0"', str(target)], produce)
    assert result.rc == 0 and target.read_bytes() == chunk * 64
    assert runner.executed and "sh" in runner.executed[0]


def test_a_command_that_refuses_raises_with_its_stderr():
    runner = CommandRunner(never)
    with pytest.raises(CommandError) as info:
        runner.feed(["sh", "-c", "echo 'cannot receive: bad stream' >&2; exit 1"],
                    lambda write: [write(b"x" * 65536) for _index in range(64)])
    assert "cannot receive: bad stream" in str(info.value) and info.value.details["rc"] == 1


def test_a_producer_error_kills_the_command_and_passes_on(tmp_path):
    marker = tmp_path / "finished"
    runner = CommandRunner(never)

    def produce(write):
        write(b"some")
        raise ValueError("the box is unsafe")

    with pytest.raises(ValueError):
        runner.feed(["sh", "-c", 'cat > /dev/null; touch "$0"', str(marker)], produce)
    assert not marker.exists(), "the command saw the end of its input after a failed producer"


def test_check_mode_runs_nothing_and_calls_no_producer():
    runner = CommandRunner(never, check_mode=True)
    result = runner.feed(["zfs", "recv", "-u", "rpool/x"], lambda write: pytest.fail("producer called"))
    assert result.skipped and runner.planned == ["zfs recv -u rpool/x"] and runner.executed == []


def test_secrets_are_masked_in_errors():
    runner = CommandRunner(never, secrets=["s3cret"])
    with pytest.raises(CommandError) as info:
        runner.feed(["sh", "-c", "echo s3cret >&2; exit 2", "s3cret"], lambda write: None)
    assert "s3cret" not in str(info.value)
