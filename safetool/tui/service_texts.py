"""The services' English sentences in the interface language.

Services and the layers under them raise :class:`~safetool.errors.SafetoolError` with three
English texts (what happened, what it means, what to do), built with f-strings for the CLI and
JSON. The app shows the same texts through the catalogs: each sentence the services can say is
listed here once as a template whose ``{name}`` parts stand for the values the service put in.
A text is matched against the templates (most specific first), its values are taken out, and the
translated template is filled with them; values that are themselves service sentences (the
cause of an interrupted install, a refusal reason) are translated the same way. A text no
template matches is shown as the service wrote it.

``tests/test_tui_units.py`` reads the services' sources and fails when one of their error
sentences has no template here, so a new message cannot slip past the catalogs.
"""

from __future__ import annotations

import re
from functools import cache

from safetool.errors import SafetoolError
from safetool.messages import Message, render
from safetool.tui.i18n import N_, _, current_language

# --- firmware: the install's pre-check and steps (services/firmware_install.py) ----------------
FIRMWARE_INSTALL = (
    N_("{serial}: install refused (battery at {volts} V; an install needs at least {needed} V)."),
    N_("A battery this low may die during the install; nothing was sent."),
    N_(
        "Fit a new battery pack (`safetool diag --check battery` names the part), then install "
        "again."
    ),
    N_("{serial}: install refused ({why})."),
    N_("Firmware is installed only while nobody is opening the safe; nothing was sent."),
    N_("the lock is in a penalty lockout"),
    N_("Wait for the lockout to end (`safetool status`), then install again."),
    N_("the lock is in a hard lockout"),
    N_("Recover it first (`safetool recover`), then install again."),
    N_("an opening is under way (time delay)"),
    N_("an opening is under way (opening window)"),
    N_("Let the opening finish or expire, then install again."),
    N_("the bolt is moving"),
    N_("Wait a moment, then install again."),
    N_("{serial}: install refused (the lock runs firmware {version} on trial, not yet confirmed)."),
    N_(
        "A trial image must be kept or reverted before another install; nothing was sent to "
        "the lock."
    ),
    N_(
        "Wait {seconds} s for the lock to revert it by itself (or reset the lock), or install "
        "that same image again to confirm it."
    ),
    N_("{serial}: another image is on trial on the lock."),
    N_("Wait for the lock to revert it, then install again."),
    N_("{serial}: the lock read back a different image."),
    N_("Install again."),
    N_(
        "{serial}: the lock did not boot the new image (it runs {version}; last install: {result})."
    ),
    N_("The old firmware keeps running; nothing was confirmed."),
    N_("Check the image with `safetool firmware verify`, then install again."),
    N_("{serial}: after the install the lock reports {state}."),
    N_("The new image was not confirmed: the lock reverts to the old one by itself."),
    N_("Reset the lock to revert now, and report the release to the service centre."),
    N_("{serial}: the new firmware's self-test failed: {checks}."),
    N_(
        "It was not confirmed: the lock goes back to the old firmware at its next reset, or by "
        "itself within a few minutes."
    ),
    N_("Run `safetool diag` to find the faulty part."),
    N_("{serial}: the lock would not activate the image: {detail}."),
    N_("The old firmware keeps running; the new image was not booted."),
    N_("Install again; if it repeats, the image or the lock's flash is damaged."),
    N_("The lock did not restart after activating the new image."),
    N_("It may still be running the old firmware."),
    N_("Check `safetool firmware status`, then install again."),
    N_("{serial}: the install was interrupted: {error}"),
    N_("The lock keeps running its old firmware and remembers what it has received."),
    N_(
        "Check the cable and the battery, then run the same install again: it continues where "
        "it stopped."
    ),
    # health check summaries
    N_("self-test passed ({count} entries in the error log)"),
    N_("{version} has no self-test; identity, slot and lock state good"),
    # last install results (services/firmware_status.py)
    N_("refused: image damaged or not signed by the manufacturer"),
    N_("refused: security counter below the lock's floor"),
    N_("refused: image for another model"),
    N_("reverted: the trial image was not confirmed"),
)

# --- firmware: the image (services/firmware_image.py, protocols/firmware_image.py) -------------
FIRMWARE_IMAGE = (
    N_("{source}: image refused ({error})."),
    N_("{path} is not a file."),
    N_("Give an image file."),
    N_("{path}: image refused ({size} bytes is larger than any lock's firmware slot)."),
    N_("This cannot be a firmware image for a lock controller."),
    N_("Check you picked the right file."),
    N_("Cannot read {path}: {error}."),
    N_("Check the image's path."),
    N_("{source}: image refused (it is for {named}, not the {model})."),
    N_("Firmware for another model can disable the lock's motor, keypad or sensors."),
    N_("Use an image released for the {model}."),
    N_(
        "{source}: image refused (hardware revisions {revisions}; the lock's board is revision "
        "{revision})."
    ),
    N_("This release was not built or tested for this controller board."),
    N_("Use a release that lists hardware revision {revision}."),
    N_("{source}: image refused (it carries no security counter, SEC_CNT)."),
    N_("Locks only boot releases that carry a signed security counter."),
    N_("Use a release built with `safetool firmware build --security-counter N`."),
    N_("{source}: image refused ({size} bytes; the firmware slot holds {limit} bytes of image)."),
    N_("The image cannot fit the lock's flash slot next to MCUboot's trailer."),
    N_("Use a release built for this model."),
    N_(
        "{source}: image refused (its security counter is {counter}; the lock's security floor "
        "is {floor})."
    ),
    N_(
        "The lock's anti-rollback floor forbids images signed before a security fix; nothing "
        "was sent to the lock."
    ),
    N_(
        "Install a release whose security counter is {floor} or more (`safetool firmware info "
        "IMAGE` shows it)."
    ),
    N_("safetool knows no firmware slot size for model {model}."),
    N_("Pass --slot-size BYTES, or check the model name."),
    # why an image was refused (firmware_image._REFUSALS)
    N_("The file holds no bytes."),
    N_("Copy the image again from the release."),
    N_("The file is cut short: a download or copy did not finish."),
    N_("Copy the image again from the release and check its size."),
    N_("This is not an MCUboot firmware image (perhaps a raw .bin or a different file)."),
    N_("Use the signed image from the release, not the raw build output."),
    N_("The image's structure is damaged; it cannot be trusted or installed."),
    N_("Lock controllers cannot boot this kind of MCUboot image."),
    N_("Use an image built with `safetool firmware build`."),
    N_("An unsigned image is never installed: the lock's bootloader would refuse it."),
    N_("Sign it with the manufacturer's firmware key (`safetool firmware build`)."),
    N_("Lock controllers only accept ED25519 signatures."),
    N_("Sign it with the manufacturer's ED25519 firmware key."),
    N_("The image was changed after it was signed. A lock's bootloader would refuse to boot it."),
    N_("Use the original image from the release."),
    N_(
        "The image was signed with another key than the manufacturer's firmware key you trust; "
        "the lock would refuse it."
    ),
    N_("Use an image released by the manufacturer, or check --pki/--key is the right one."),
    N_("The image cannot be used."),
    # what the image format says (protocols/firmware_image.py)
    N_("the file is empty"),
    N_("{size} bytes: shorter than MCUboot's 32-byte header"),
    N_("the image carries no signature"),
    N_("the signature does not verify with this key"),
    N_("the signature does not verify although the image names this key"),
    N_("the hash of header, payload and protected TLVs does not match"),
    N_("the image names a different signing key (KEYHASH)"),
    N_("the image carries a different signing key (PUBKEY)"),
)

# --- the link: ports, serial, BLE (transport/) --------------------------------------------------
TRANSPORT = (
    N_("No port given."),
    N_(
        "Pass --port (e.g. /dev/ttyUSB0, COM3, socket://host:port) or set SAFETOOL_PORT; "
        "`safetool ports` lists what is connected."
    ),
    N_("A BLE port needs the lock's address, name or serial: ble:<address or name>."),
    N_("Run `safetool scan` to list the locks in range."),
    N_("There is no serial port {url}."),
    N_(
        "The service cable may be unplugged, or the adapter got another name when it was "
        "plugged in."
    ),
    N_("Run `safetool ports` to list the ports this laptop sees."),
    N_(
        "Run `safetool ports` to list the ports this laptop sees. On macOS use the /dev/cu.* "
        "device, not /dev/tty.*."
    ),
    N_("{url} is held by another program."),
    N_("On Windows only one program may open a serial port at a time."),
    N_(
        "Close other terminal or flashing programs (PuTTY, Arduino IDE, another safetool) and "
        "try again."
    ),
    N_("You are not allowed to open {url}."),
    N_("The operating system refuses this user access to serial ports."),
    N_(
        "add yourself to the 'dialout' group (Arch: 'uucp'): sudo usermod -aG dialout $USER, "
        "then log out and back in."
    ),
    N_("check the device's permissions or run with an account allowed to use it."),
    N_("{url} is in use by another program."),
    N_("Another program (a terminal, a second safetool, ModemManager) has it open."),
    N_("Close the other program and try again; `fuser -v` shows who holds it."),
    N_("Nothing is listening at {url}."),
    N_(
        "The network serial server (ser2net, an RFC 2217 server or an emulated board) is not "
        "running on that host and port."
    ),
    N_("Start it, or check the host and port in the URL."),
    N_("Could not open {url}: {error}"),
    N_("The port could not be used."),
    N_("Check the port name (`safetool ports`) and the cable."),
    N_("{url} is not open"),
    N_("The link to the lock on {url} was lost{detail}."),
    N_(
        "The cable was pulled, or the board reset or lost power. Nothing sent after this point "
        "reached the lock."
    ),
    N_("Check the service cable and the lock's battery, then connect again."),
    N_("{url} was closed"),
    N_("The Bluetooth link to the lock {target} was lost{detail}."),
    N_(
        "The lock went out of range, reset, or lost power, or another device took the "
        "connection. Nothing sent after this point reached the lock."
    ),
    N_("Come closer, wake the lock with a key press, and connect again."),
    N_("{name} is not a lock controller (it has no safetool service)."),
    N_("A device with a similar name answered."),
    N_("Run `safetool scan` and use the address of the lock."),
    N_("macOS does not allow this terminal to use Bluetooth."),
    N_(
        "Without that permission macOS ends the program without a message, so safetool stopped "
        "before touching Bluetooth."
    ),
    N_(
        "Open System Settings → Privacy & Security → Bluetooth, allow your terminal app "
        "(Terminal, iTerm, VS Code), then quit and reopen it."
    ),
    N_("This Windows (build {build}) is too old for Bluetooth Low Energy."),
    N_("BLE needs Windows 10 version 1709 (build 16299) or newer."),
    N_("Update Windows, or use the lock's USB service cable."),
    N_("No lock matching {target} answered over Bluetooth{within}."),
    N_(
        "The lock is off, asleep, out of range (BLE reaches about 10 m through a safe door, "
        "less through steel), or already connected to another phone or laptop."
    ),
    N_(
        "Wake the lock (press a key), come closer, disconnect other apps, and run `safetool "
        "scan` to see the names and addresses in range."
    ),
    N_("Bluetooth connection to {target} failed: {error}"),
    N_("The lock could not be reached over BLE."),
    N_(
        "Come closer to the lock, wake it with a key press and try again; `safetool scan` "
        "shows what is in range."
    ),
    N_("This user may not use Bluetooth ({error})."),
    N_("The system's Bluetooth policy refused the request."),
    N_(
        "Add yourself to the 'bluetooth' group (sudo usermod -aG bluetooth $USER, then log in "
        "again), or ask the administrator to allow BlueZ access over D-Bus."
    ),
    N_("The Bluetooth controller named by {name} cannot be used."),
    N_("SAFETOOL_BLE_HCI points safetool at an emulated radio; {error}."),
    N_(
        "Start the emulated board (`safetool emulate --ble`) and set SAFETOOL_BLE_HCI to its "
        "ready line's hci, or unset it to use this computer's Bluetooth."
    ),
    N_("This computer has no usable Bluetooth adapter ({error})."),
    N_("BLE needs a Bluetooth 4.0 or newer adapter that can act as central."),
    N_("Plug in a Bluetooth 4.0+ USB adapter, or use the lock's USB service cable."),
    N_("The Linux Bluetooth service is not available ({error})."),
    N_("safetool talks to BLE through BlueZ (bluetoothd) over D-Bus."),
    N_(
        "Install and start it: sudo apt install bluez && sudo systemctl enable --now bluetooth "
        "(in a container, share the host's /run/dbus)."
    ),
    N_("Bluetooth cannot start in this program's thread on Windows."),
    N_(
        "Another library set the thread to the Windows GUI (STA) threading model, which bleak "
        "cannot use."
    ),
    N_(
        "Run safetool from a plain terminal (not from a GUI shell that imports "
        "pythoncom/pywin32), or report it to the safetool team."
    ),
    N_("The lock {target} requires pairing before it opens its service."),
    N_("Its service characteristics are protected by link encryption."),
    N_(
        "Pair the laptop with the lock in the system Bluetooth settings (the lock shows or asks "
        "for a PIN), then connect again."
    ),
    N_("Bluetooth is turned off on this computer."),
    N_("No lock can be reached over BLE until it is on."),
    N_("Turn Bluetooth on (system settings or the airplane-mode switch) and try again."),
)

# --- the conversation and the secure session (client/, identity.py) ------------------------------
CLIENT = (
    N_("Reconnecting: the request was abandoned."),
    N_("The connection was closed."),
    N_("No lock controller answered on {port}."),
    N_("The port opened, but nothing on it speaks the safetool protocol."),
    N_(
        "Check that this is the lock's service port (`safetool ports`), that the baud rate "
        "matches (--baud; the default is 115200), and wake the lock by pressing a key on its "
        "keypad."
    ),
    N_("The lock and safetool share no protocol version."),
    N_("The lock said: {detail}."),
    N_(
        "Update safetool if the lock is newer than it; otherwise update the lock firmware at "
        "the service centre."
    ),
    N_("The lock did not answer {request} ({count} tries)."),
    N_(
        "The link is up but the lock stopped answering; nothing is known about whether it "
        "acted on the request."
    ),
    N_("Check the cable and the lock's battery, then retry."),
    N_("The secure session ended before the lock answered {request}: {reason}."),
    N_(
        "The lock may or may not have acted on it. A forged, replayed or corrupted encrypted "
        "frame ends a session on purpose."
    ),
    N_("Open a new session and check the lock's state first."),
    N_("The lock refused {request}: {code} ({detail})."),
    N_("The lock is unchanged by this request."),
    N_("Try again; if it repeats, note the error code."),
    N_("The lock firmware does not know this request: update the firmware."),
    N_("The lock is busy (motor running or booting): wait a few seconds and retry."),
    N_("This needs a secure session and the right qualification."),
    N_("Update safetool or the lock firmware."),
    N_("The lock refused a secure session: {detail}."),
    N_("Nothing privileged can be done on this lock with this certificate."),
    N_(
        "Check that your certificate is current and not revoked (ask the service centre), and "
        "that the lock's clock is right."
    ),
    N_("The lock failed to prove it is a genuine {model}: {error}."),
    N_(
        "It may be a counterfeit board or a device in the middle of the cable. No secret was "
        "sent to it."
    ),
    N_("Do not continue on this lock; report its serial to the service centre."),
    N_("The lock refused the secure session: {detail}."),
    N_("Check your technician key and certificate."),
    N_("No technician identity given."),
    N_("Secure work (recovery, firmware, audit) needs your key and certificate."),
    N_(
        "Pass --technician FOLDER or set {variable} to the folder holding technician.key and "
        "technician.cert."
    ),
    N_("{path} can be read by other users."),
    N_("A private key must be readable by its owner only."),
    N_("Run: chmod 600 {path}"),
    N_("Cannot load the technician identity in {path}: {error}"),
    N_("Without it safetool cannot open a secure session with a lock."),
    N_(
        "Check the folder (technician.key, technician.cert, trust.json); ask the service "
        "centre for a new certificate if it is damaged."
    ),
)

TEMPLATES: tuple[str, ...] = (*FIRMWARE_INSTALL, *FIRMWARE_IMAGE, *TRANSPORT, *CLIENT)
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_MAX_DEPTH = 3


@cache
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    """Each template as a regular expression, the most specific (most fixed text) first."""
    compiled = []
    for template in TEMPLATES:
        pattern, seen, last = [], set(), 0
        for match in _PLACEHOLDER.finditer(template):
            pattern.append(re.escape(template[last : match.start()]))
            name = match.group(1)
            pattern.append(f"(?P={name})" if name in seen else f"(?P<{name}>.*?)")
            seen.add(name)
            last = match.end()
        pattern.append(re.escape(template[last:]))
        fixed = len(_PLACEHOLDER.sub("", template))
        compiled.append((fixed, re.compile("".join(pattern), re.DOTALL), template))
    compiled.sort(key=lambda item: -item[0])
    return tuple((pattern, template) for _fixed, pattern, template in compiled)


def translate_text(text: str, depth: int = 0) -> str:
    """``text`` as a service wrote it, in the interface language where a template fits."""
    if not text or depth > _MAX_DEPTH:
        return text
    for pattern, template in _patterns():
        match = pattern.fullmatch(text)
        if match is None:
            continue
        if not match.groupdict():
            return _(template)
        values = {
            name: translate_text(value, depth + 1) for name, value in match.groupdict().items()
        }
        return _(template).format(**values)
    return _(text)


def explain(error: BaseException) -> str:
    """What happened, what it means, what to do: :meth:`SafetoolError.explain`, translated."""
    if not isinstance(error, SafetoolError):
        return _(
            "Unexpected error ({kind}: {error}). Please report it to the safetool team."
        ).format(kind=type(error).__name__, error=error)
    message, meaning, next_step = parts(error)
    lines = [message]
    if meaning:
        lines.append(meaning)
    if next_step:
        lines.append(_("What to do: {step}").format(step=next_step))
    return "\n".join(lines)


def parts(error: SafetoolError) -> tuple[str, str, str]:
    """(what happened, what it means, what to do), translated; empty where the error has none."""
    message, meaning, next_step = (_word(part) for part in error.coded)
    return message, meaning, next_step


def _word(part: Message | str) -> str:
    """A coded part straight from the catalogue; English prose still through the patterns
    (which also word a coded error's English text embedded in another sentence)."""
    if isinstance(part, Message):
        return render(part, current_language())
    return translate_text(part)
