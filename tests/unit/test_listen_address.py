"""Listen addresses: parsing, binding several at once, and reading systemd's environment."""

import errno
import os
import socket

import pytest

from exporter.http.address import ListenError, bind_listeners, parse_listen_address, systemd_listeners


def test_addresses_parse_to_host_and_port():
    assert parse_listen_address(":10120") == ("", 10120)
    assert parse_listen_address("0.0.0.0:1") == ("0.0.0.0", 1)
    assert parse_listen_address("[::1]:9000") == ("::1", 9000)
    for bad in ("10120", "host:", "host:port", ":65536", ""):
        with pytest.raises(ValueError, match="--web.listen-address"):
            parse_listen_address(bad)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_several_addresses_are_bound_in_order():
    sockets = bind_listeners(["127.0.0.1:0", "127.0.0.2:0"])
    try:
        assert [s.getsockname()[0] for s in sockets] == ["127.0.0.1", "127.0.0.2"]
        assert all(s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) for s in sockets)
    finally:
        for s in sockets:
            s.close()


def test_an_address_that_cannot_be_bound_is_named_and_the_others_are_released():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = f"127.0.0.1:{taken.getsockname()[1]}"
        first = f"127.0.0.2:{_free_port()}"
        with pytest.raises(ListenError) as raised:
            bind_listeners([first, busy])
        assert str(raised.value).startswith(f"--web.listen-address {busy}: ")
        assert isinstance(raised.value.__cause__, OSError)
        assert raised.value.__cause__.errno == errno.EADDRINUSE
    # All or none: the address bound before the failure is free again.
    host, port = parse_listen_address(first)
    with socket.socket() as again:
        again.bind((host, port))


def test_a_malformed_address_among_several_binds_none():
    with pytest.raises(ValueError, match="'nope'"):
        bind_listeners(["127.0.0.1:0", "nope"])


@pytest.mark.skipif(not socket.has_ipv6, reason="no IPv6")
def test_the_ipv4_and_ipv6_wildcards_on_one_port_do_not_collide():
    port = _free_port()
    try:
        sockets = bind_listeners([f"0.0.0.0:{port}", f"[::]:{port}"])
    except ListenError as exc:  # a host without IPv6 on any interface
        pytest.skip(str(exc))
    try:
        assert [s.family for s in sockets] == [socket.AF_INET, socket.AF_INET6]
        assert sockets[1].getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 1
    finally:
        for s in sockets:
            s.close()


def test_the_ipv6_wildcard_alone_still_takes_ipv4_too():
    # As before repeatable addresses: '[::]:P' alone serves both families (bindv6only=0).
    try:
        (sock,) = bind_listeners(["[::]:0"])
    except ListenError as exc:
        pytest.skip(str(exc))
    with sock:
        assert sock.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 0


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "LISTEN_PID and LISTEN_FDS are not set"),
        ({"LISTEN_FDS": "1"}, "LISTEN_PID is not set"),
        ({"LISTEN_PID": "4242"}, "LISTEN_FDS is not set"),
        ({"LISTEN_PID": "4243", "LISTEN_FDS": "1"}, r"LISTEN_PID=4243 is not this process \(4242\)"),
        ({"LISTEN_PID": "x", "LISTEN_FDS": "1"}, "LISTEN_PID=x is not this process"),
        ({"LISTEN_PID": "4242", "LISTEN_FDS": "0"}, "LISTEN_FDS='0': expected 1 or more"),
        ({"LISTEN_PID": "4242", "LISTEN_FDS": "two"}, "LISTEN_FDS='two'"),
    ],
)
def test_systemd_environment_not_meant_for_this_process_is_a_clear_error(environ, message):
    with pytest.raises(ListenError, match=f"^--web.systemd-socket: {message}"):
        systemd_listeners(dict(environ), pid=4242)


@pytest.fixture
def fd3():
    """Puts a descriptor of the test's choosing on fd 3 (where systemd's first socket goes), and
    puts back what this process had there."""
    try:
        saved: int | None = os.dup(3)
    except OSError:
        saved = None

    def put(fd: int) -> None:
        os.dup2(fd, 3, inheritable=False)

    yield put
    if saved is None:
        os.close(3)
    else:
        os.dup2(saved, 3, inheritable=False)
        os.close(saved)


def _fd3_open() -> bool:
    try:
        os.fstat(3)
    except OSError:
        return False
    return True


def test_systemd_descriptors_that_are_not_listening_streams_are_named_and_left_open(fd3, tmp_path):
    with open(tmp_path / "file", "w") as file:
        fd3(file.fileno())
        with pytest.raises(ListenError, match="^--web.systemd-socket: fd 3: not a socket"):
            systemd_listeners({"LISTEN_PID": "4242", "LISTEN_FDS": "1"}, pid=4242)
        assert _fd3_open()  # not ours to close: systemd keeps it
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        with socket.socket(socket.AF_INET, kind) as unlistened:
            fd3(unlistened.fileno())
            with pytest.raises(ListenError, match="^--web.systemd-socket: fd 3: not a listening stream socket"):
                systemd_listeners({"LISTEN_PID": "4242", "LISTEN_FDS": "1"}, pid=4242)
            assert _fd3_open()
    with socket.socket(socket.AF_UNIX) as unix:
        unix.bind(str(tmp_path / "sock"))
        unix.listen()
        fd3(unix.fileno())
        with pytest.raises(ListenError, match=r"^--web.systemd-socket: fd 3: not a TCP socket"):
            systemd_listeners({"LISTEN_PID": "4242", "LISTEN_FDS": "1"}, pid=4242)


def test_systemd_sockets_are_taken_from_fd_3_on_and_the_variables_unset(fd3):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        fd3(listener.fileno())
        # As sd_listen_fds(unset_environment=1): a process the exporter starts must not take them.
        environ = {"LISTEN_PID": "4242", "LISTEN_FDS": "1", "LISTEN_FDNAMES": "http", "OTHER": "kept"}
        (sock,) = systemd_listeners(environ, pid=4242)
        assert environ == {"OTHER": "kept"}
        assert sock.fileno() == 3
        assert sock.getsockname() == listener.getsockname()
        assert not sock.get_inheritable()  # FD_CLOEXEC, as sd_listen_fds sets it
        sock.detach()  # the fixture closes fd 3
