"""User folders by the platform's rules (platformdirs) and the network-file-system warning (estimator.paths)."""

from __future__ import annotations

from pathlib import Path

import pytest

from estimator import paths

LINUX_MOUNTS = """\
/dev/sda1 / ext4 rw,relatime 0 0
proc /proc proc rw 0 0
server:/export/home /home nfs4 rw,vers=4.2 0 0
//nas/practice /mnt/practice\\040share cifs rw 0 0
/dev/sdb1 /home/local ext4 rw 0 0
"""

MAC_MOUNT = """\
/dev/disk3s1s1 on / (apfs, sealed, local, read-only, journaled)
//alice@nas._smb._tcp.local/Practice on /Volumes/Practice (smbfs, nodev, nosuid, mounted by alice)
"""


def test_the_environment_variables_override_every_user_folder(monkeypatch, tmp_path):
    for variable, function in (("ESTIMATOR_DATA_DIR", paths.user_data_dir), ("ESTIMATOR_LOG_DIR", paths.user_log_dir),
                               ("ESTIMATOR_CACHE_DIR", paths.user_cache_dir)):
        monkeypatch.setenv(variable, str(tmp_path / variable))
        assert function() == tmp_path / variable


def test_without_overrides_the_folders_follow_the_platform_conventions(monkeypatch, tmp_path):
    monkeypatch.delenv("ESTIMATOR_DATA_DIR")
    monkeypatch.delenv("ESTIMATOR_DB")
    # tests/conftest.py points XDG_* into the test's home: the XDG rules apply on Linux.
    assert paths.user_data_dir() == tmp_path / "home" / ".local" / "share" / "estimator"
    assert paths.default_db_path() == paths.user_data_dir() / "practice.sqlite"
    assert paths.user_log_dir() == tmp_path / "home" / ".local" / "state" / "estimator" / "log"
    assert paths.user_cache_dir() == tmp_path / "home" / ".cache" / "estimator"


def test_windows_data_goes_to_local_appdata_never_roaming():
    from platformdirs.windows import Windows  # noqa: PLC0415 - only to read its configuration

    assert paths._DIRS.roaming is False
    assert Windows(appname="estimator", appauthor=False, roaming=False).roaming is False


def test_the_shipped_tables_are_found_inside_the_package():
    root = paths.shipped_tables_root()
    assert root.parent.name == "estimator" and (root / "2026" / "manifest.json").is_file()


def test_proc_mounts_are_parsed_with_escaped_spaces():
    table = paths.parse_proc_mounts(LINUX_MOUNTS)
    assert ("/mnt/practice share", "cifs") in table and ("/", "ext4") in table


@pytest.mark.parametrize(("path", "expected"), [
    ("/home/ana/.local/share/estimator/practice.sqlite", "nfs4"),  # the home folder is an NFS mount
    ("/home/local/practice.sqlite", None),                          # a local disk mounted inside it
    ("/mnt/practice share/practice.sqlite", "cifs"),
    ("/var/lib/estimator/practice.sqlite", None),
    ("/homework/practice.sqlite", None),                            # a prefix of the text is not a parent
])
def test_a_database_on_a_network_mount_is_recognised(path, expected):
    assert paths.network_filesystem(Path(path), paths.parse_proc_mounts(LINUX_MOUNTS)) == expected


def test_macos_mount_output_is_understood():
    mounts = paths.parse_bsd_mount_output(MAC_MOUNT)
    assert paths.network_filesystem(Path("/Volumes/Practice/practice.sqlite"), mounts) == "smbfs"
    assert paths.network_filesystem(Path("/Users/ana/practice.sqlite"), mounts) is None


def test_a_unc_path_is_a_network_share():
    assert paths.network_filesystem(Path("//nas/share/practice.sqlite"), []) == "UNC share"


def test_the_warning_names_the_file_and_what_to_do():
    mounts = paths.parse_proc_mounts(LINUX_MOUNTS)
    warning = paths.network_warning(Path("/home/ana/practice.sqlite"), mounts)
    assert warning is not None and "/home/ana/practice.sqlite" in warning and "nfs4" in warning
    assert "own disk" in warning
    assert paths.network_warning(Path("/var/practice.sqlite"), mounts) is None
