"""The catalogue: each key's text in every language, side by side so they cannot drift.

Keys are stable codes (scripts and the service centre rely on them): ``event.<kind>`` for each
lock event kind, ``refusal.<reason>`` for each refusal reason, ``lock_state.``, ``door.``,
``bolt.`` for the lock's states, then one prefix per front-end or service area."""

from __future__ import annotations


def _(en: str, zh_cn: str) -> dict[str, str]:
    return {"en": en, "zh_CN": zh_cn}


EVENTS: dict[str, dict[str, str]] = {
    "event.power_on": _("powered on (boot {value})", "上电（第 {value} 次启动）"),
    "event.key_press": _("key pressed", "按键"),
    "event.code_accepted": _("code accepted (user slot {value})", "密码正确（用户位 {value}）"),
    "event.wrong_code": _(
        "wrong code ({value} in the current window)", "密码错误（当前时间窗内第 {value} 次）"
    ),
    "event.input_blocked": _(
        "keypad input blocked ({value} s of lockout left)", "键盘输入被阻止（锁定还剩 {value} 秒）"
    ),
    "event.lockout_started": _("penalty lockout started ({value} s)", "惩罚锁定开始（{value} 秒）"),
    "event.lockout_ended": _("penalty lockout ended", "惩罚锁定结束"),
    "event.hard_lockout": _(
        "HARD LOCKOUT after {value} penalty lockouts: service recovery needed",
        "连续 {value} 次惩罚锁定后进入硬锁定：需要服务恢复",
    ),
    "event.bolt_retracted": _("bolt retracted ({value} ms)", "锁舌缩回（{value} 毫秒）"),
    "event.bolt_extended": _("bolt extended ({value} ms)", "锁舌伸出（{value} 毫秒）"),
    "event.door_opened": _("door opened", "门已打开"),
    "event.door_closed": _("door closed", "门已关闭"),
    "event.low_battery": _("low battery ({value} mV)", "电量低（{value} mV）"),
    "event.tamper": _("tamper switch {state}", "防撬开关{state}"),
    "event.session_opened": _(
        "secure session opened (certificate {value})", "安全会话已建立（证书 {value}）"
    ),
    "event.session_refused": _("secure session refused: {reason}", "安全会话被拒绝：{reason}"),
    "event.recovered": _("recovered (recovery {value})", "已恢复（第 {value} 次恢复）"),
    "event.recovery_refused": _("recovery refused: {reason}", "恢复被拒绝：{reason}"),
    "event.time_delay_started": _("time delay started ({value} s)", "延时开始（{value} 秒）"),
    "event.opening_window_started": _(
        "opening window started ({value} s)", "开启时间窗开始（{value} 秒）"
    ),
    "event.opening_window_expired": _("opening window expired", "开启时间窗已过"),
    "event.second_code_needed": _(
        "second code needed within {value} s (dual control)",
        "需在 {value} 秒内输入第二个密码（双人控制）",
    ),
    "event.config_changed": _(
        "settings changed (certificate {value})", "设置已更改（证书 {value}）"
    ),
    "event.unknown": _("event {kind} (value {value})", "事件 {kind}（值 {value}）"),
    "tamper.opened": _("opened", "被打开"),
    "tamper.closed": _("closed again", "已复位"),
}

REFUSALS: dict[str, dict[str, str]] = {
    "refusal.none": _("no reason given", "未给出原因"),
    "refusal.bad_certificate": _("the technician certificate is not valid", "技术员证书无效"),
    "refusal.expired": _("the certificate has expired", "证书已过期"),
    "refusal.revoked": _("the certificate has been revoked", "证书已被吊销"),
    "refusal.bad_signature": _(
        "the authorisation is not signed by the service authority", "授权不是由服务中心签发的"
    ),
    "refusal.not_qualified": _("the technician is not qualified for this", "技术员没有此项资质"),
    "refusal.list_out_of_date": _(
        "the lock's revocation list is past its next update", "锁的吊销列表已过下次更新时间"
    ),
    "refusal.no_challenge": _(
        "the lock has no open challenge (ask for a new one)", "锁没有有效的挑战码（请申请新的）"
    ),
    "refusal.wrong_board": _("the authorisation is for another lock", "授权属于另一把锁"),
    "refusal.wrong_challenge": _(
        "the authorisation is for another challenge", "授权属于另一个挑战码"
    ),
    "refusal.wrong_technician": _(
        "the authorisation was issued to another technician", "授权签发给了另一位技术员"
    ),
    "refusal.outside_window": _(
        "the answer came too late after the challenge, by the lock's own count of time (ask "
        "for a new challenge)",
        "应答距挑战码已超时（按锁自身计时），请重新获取挑战码",
    ),
    "refusal.wrong_response": _("the response code is wrong", "应答码错误"),
    "refusal.challenge_used_up": _(
        "the challenge has no attempts left", "此挑战码已没有剩余尝试次数"
    ),
    "refusal.locked_out": _(
        "too many wrong answers: the lock paces answers for a while",
        "错误应答过多：锁暂时限制应答频率",
    ),
    "refusal.not_provisioned": _(
        "the lock has not been provisioned by the service authority", "锁尚未由服务中心配置"
    ),
    "refusal.no_session": _("there is no secure session", "没有安全会话"),
    "refusal.unknown": _("refusal reason {reason}", "拒绝原因 {reason}"),
}

STATES: dict[str, dict[str, str]] = {
    "lock_state.locked": _("locked", "已上锁"),
    "lock_state.unlocked": _("unlocked", "已开锁"),
    "lock_state.penalty_lockout": _("penalty lockout", "惩罚锁定"),
    "lock_state.hard_lockout": _("HARD LOCKOUT", "硬锁定"),
    "lock_state.time_delay": _("time delay", "延时中"),
    "lock_state.opening_window": _("opening window", "开启时间窗"),
    "door.closed": _("closed", "关闭"),
    "door.open": _("open", "打开"),
    "door.unknown": _("unknown", "未知"),
    "bolt.extended": _("extended", "伸出"),
    "bolt.retracted": _("retracted", "缩回"),
    "bolt.moving": _("moving", "移动中"),
    "bolt.unknown": _("unknown", "未知"),
}

RECOVERY: dict[str, dict[str, str]] = {
    "recovery.opened": _(
        "The lock accepted the authorisation and is opening.", "锁已接受授权，正在开启。"
    ),
    "recovery.refused": _("The lock refused: {reason}.", "锁拒绝了：{reason}。"),
    "recovery.call_hotline": _("Call the service hotline and read out:", "请致电服务热线并读出："),
    "recovery.field.serial": _("lock serial", "锁序列号"),
    "recovery.field.challenge": _("challenge", "挑战码"),
    "recovery.field.counter": _("counter", "计数器"),
    "recovery.field.technician": _("technician ID", "技术员编号"),
    "recovery.attempts_with_challenge": _(
        "({count} attempts with this challenge)", "（此挑战码可尝试 {count} 次）"
    ),
    "recovery.prompt_response": _(
        "Response from the hotline (digits, spaces allowed):",
        "热线给出的应答码（数字，可含空格）：",
    ),
    "recovery.no_response": _("No response was given.", "没有输入应答码。"),
    "recovery.no_response.next": _("Pass --response DIGITS.", "请用 `--response 数字` 给出。"),
    "recovery.mistyped": _("The response's check digit does not match.", "应答码的校验位不符。"),
    "recovery.mistyped.meaning": _(
        "A digit was misheard or two were swapped; nothing was sent to the lock and no attempt "
        "was used.",
        "有一位数字听错了，或两位数字顺序颠倒；没有向锁发送任何内容，也没有消耗尝试次数。",
    ),
    "recovery.mistyped.next": _(
        "Ask the hotline to read the response again, group by group.",
        "请热线按组重新读一遍应答码。",
    ),
    "recovery.seal": _(
        "Close seal for recovery {counter}: {seal}", "第 {counter} 次恢复的关闭封码：{seal}"
    ),
    "recovery.seal.report": _(
        "Read the hotline the lock's serial, the recovery number ({counter}) and the seal: that "
        "is all they need to close the recovery.",
        "请向热线报出锁的序列号、恢复编号（{counter}）和封码：热线凭这些即可结束此次恢复。",
    ),
    "recovery.asking_authority": _(
        "Asking the service authority at {url} ...", "正在向 {url} 的服务中心申请授权……"
    ),
    "recovery.recorded": _(
        "Recorded at the service centre as recovery {number} of this lock.",
        "已在服务中心登记为这把锁的第 {number} 次恢复。",
    ),
    "recovery.attempts_left": _(
        "{count} attempts left with this challenge.", "此挑战码还剩 {count} 次尝试。"
    ),
    "recovery.seal_next": _(
        "When the safe is shut again, run `safetool recover --seal` and report the seal.",
        "保险柜重新关好后，运行 `safetool recover --seal` 并上报封条码。",
    ),
}

CLI: dict[str, dict[str, str]] = {
    "cli.monitor.watching": _(
        "Watching {port} for lock events; press Ctrl-C to stop.",
        "正在监视 {port} 上的锁事件；按 Ctrl-C 停止。",
    ),
    "cli.monitor.missed": _(
        "({count} events lost on the link before this one)", "（此前链路上丢失了 {count} 个事件）"
    ),
    "cli.error.next_step": _("What to do: {next_step}", "处理方法：{next_step}"),
    "cli.error.internal": _(
        "internal error ({error}). Run again with --debug and send the output to the "
        "safetool team.",
        "内部错误（{error}）。请加 --debug 重新运行，并把输出发给 safetool 团队。",
    ),
    "cli.error.unknown_language": _(
        "unknown language {language} (known: {known})", "未知语言 {language}（可用：{known}）"
    ),
}

TEXTS: dict[str, dict[str, str]] = {**EVENTS, **REFUSALS, **STATES, **RECOVERY, **CLI}
"""Every key's texts by language code."""

PORTS: dict[str, dict[str, str]] = {
    "port.none_found": _(
        "No serial ports found. Plug in the service cable; for an emulated board run "
        "`safetool emulate` and use the port it prints.",
        "没有找到串口。请插上服务线；如用模拟锁板，运行 `safetool emulate` 并使用它打印的端口。",
    ),
    "port.why_bridge": _(
        "{bridge} USB-serial bridge (service cables use it)",
        "{bridge} USB 转串口芯片（服务线使用它）",
    ),
    "port.why_description": _("its USB description names a lock", "其 USB 描述中提到了锁"),
    "port.likely_lock": _("likely a lock controller: {why}", "可能是锁控制器：{why}"),
    "port.not_found": _("There is no serial port {url}.", "没有串口 {url}。"),
    "port.not_found.meaning": _(
        "The service cable may be unplugged, or the adapter got another name when it was "
        "plugged in.",
        "服务线可能未插好，或者适配器重新插入后换了名字。",
    ),
    "port.list_ports": _(
        "Run `safetool ports` to list the ports this laptop sees.",
        "运行 `safetool ports` 列出本机能看到的端口。",
    ),
    "port.list_ports_macos": _(
        "Run `safetool ports` to list the ports this laptop sees. On macOS use the "
        "/dev/cu.* device, not /dev/tty.*.",
        "运行 `safetool ports` 列出本机能看到的端口。在 macOS 上请使用 /dev/cu.* 设备，"
        "而不是 /dev/tty.*。",
    ),
    "port.held": _("{url} is held by another program.", "{url} 被另一个程序占用。"),
    "port.held.meaning_windows": _(
        "On Windows only one program may open a serial port at a time.",
        "在 Windows 上，同一时间只能有一个程序打开串口。",
    ),
    "port.held.next_windows": _(
        "Close other terminal or flashing programs (PuTTY, Arduino IDE, another safetool) "
        "and try again.",
        "关闭其他终端或烧录程序（PuTTY、Arduino IDE、另一个 safetool）后重试。",
    ),
    "port.denied": _("You are not allowed to open {url}.", "你无权打开 {url}。"),
    "port.denied.meaning": _(
        "The operating system refuses this user access to serial ports.",
        "操作系统不允许当前用户使用串口。",
    ),
    "port.denied.next_linux": _(
        "add yourself to the 'dialout' group (Arch: 'uucp'): `sudo usermod -aG dialout $USER`, "
        "then log out and back in.",
        "把自己加入 dialout 组（Arch 为 uucp）：`sudo usermod -aG dialout $USER`，"
        "然后注销并重新登录。",
    ),
    "port.denied.next": _(
        "check the device's permissions or run with an account allowed to use it.",
        "检查设备权限，或使用有权使用它的账户运行。",
    ),
    "port.busy": _("{url} is in use by another program.", "{url} 正被另一个程序使用。"),
    "port.busy.meaning": _(
        "Another program (a terminal, a second safetool, ModemManager) has it open.",
        "另一个程序（终端、另一个 safetool、ModemManager）正占用它。",
    ),
    "port.busy.next": _(
        "Close the other program and try again; `fuser -v` shows who holds it.",
        "关闭另一个程序后重试；`fuser -v` 可显示占用者。",
    ),
    "port.not_listening": _("Nothing is listening at {url}.", "{url} 上没有服务在监听。"),
    "port.not_listening.meaning": _(
        "The network serial server (ser2net, an RFC 2217 server or an emulated board) is not "
        "running on that host and port.",
        "网络串口服务（ser2net、RFC 2217 服务或模拟锁板）没有在该主机和端口上运行。",
    ),
    "port.not_listening.next": _(
        "Start it, or check the host and port in the URL.", "启动它，或检查地址中的主机和端口。"
    ),
    "port.open_failed": _("Could not open {url}: {error}", "无法打开 {url}：{error}"),
    "port.open_failed.meaning": _("The port could not be used.", "该端口无法使用。"),
    "port.open_failed.next": _(
        "Check the port name (`safetool ports`) and the cable.",
        "检查端口名称（`safetool ports`）和线缆。",
    ),
    "link.lost": _(
        "The link to the lock on {url} was lost{detail}.", "与 {url} 上的锁的连接已断开{detail}。"
    ),
    "link.lost.meaning": _(
        "The cable was pulled, or the board reset or lost power. Nothing sent after this point "
        "reached the lock.",
        "线缆被拔出，或锁板复位或断电。此后发送的内容都没有到达锁。",
    ),
    "link.lost.next": _(
        "Check the service cable and the lock's battery, then connect again.",
        "检查服务线和锁的电池，然后重新连接。",
    ),
}

TEXTS.update(PORTS)

LOCK_FACTS: dict[str, dict[str, str]] = {
    "field.port": _("port", "端口"),
    "field.serial": _("serial", "序列号"),
    "field.model": _("model", "型号"),
    "field.hardware_revision": _("hardware revision", "硬件版本"),
    "field.firmware_version": _("firmware version", "固件版本"),
    "field.bootloader_version": _("bootloader version", "引导程序版本"),
    "field.protocol_version": _("protocol version", "协议版本"),
    "field.lock_state": _("lock state", "锁状态"),
    "field.lockout_seconds": _("lockout seconds", "锁定剩余秒数"),
    "field.battery_mv": _("battery mv", "电池电压 (mV)"),
    "field.wrong_code_count": _("wrong code count", "错误密码次数"),
    "field.door": _("door", "门"),
    "field.bolt": _("bolt", "锁舌"),
    "field.temperature_c": _("temperature c", "温度 (°C)"),
    "field.uptime_s": _("uptime s", "运行时间（秒）"),
    "field.alerts": _("alerts", "警报"),
    "alert.tamper": _("tamper", "防撬"),
    "alert.low_battery": _("low battery", "电量低"),
    "list.none": _("none", "无"),
    "list.separator": _(", ", "，"),
    "problem.hard_lockout": _(
        "hard lockout: only a service recovery opens this lock", "硬锁定：只有服务恢复才能打开此锁"
    ),
    "problem.penalty_lockout": _(
        "penalty lockout: keypad blocked for {seconds} s", "惩罚锁定：键盘锁定 {seconds} 秒"
    ),
    "problem.tamper_open": _("tamper switch open", "防撬开关已打开"),
    "problem.low_battery": _("low battery ({mv} mV)", "电量低（{mv} mV）"),
}

TEXTS.update(LOCK_FACTS)

FIRMWARE: dict[str, dict[str, str]] = {
    "firmware.change.newer": _("{old} → {new} (newer)", "{old} → {new}（升级）"),
    "firmware.change.older": _("{old} → {new} (older)", "{old} → {new}（降级）"),
    "firmware.change.same": _("{old} → {new} (same version)", "{old} → {new}（相同版本）"),
    "firmware.change.unknown": _("{old} → {new}", "{old} → {new}"),
    "firmware.health.no_selftest": _(
        "{version} has no self-test; identity, slot and lock state good",
        "{version} 没有自检；身份、槽位和锁状态正常",
    ),
    "firmware.health.passed": _(
        "self-test passed ({errors} entries in the error log)",
        "自检通过（错误日志中有 {errors} 条记录）",
    ),
    "firmware.plan": _(
        "{serial} on {port}: {change}\n  {model}, battery {volts} V, {floor}; will {step} into "
        "slot {slot}",
        "{serial}（{port}）：{change}\n  {model}，电池 {volts} V，{floor}；将{step}到槽位 {slot}",
    ),
    "firmware.plan.floor": _(
        "security counter {counter}, floor {floor}", "安全计数器 {counter}，下限 {floor}"
    ),
    "firmware.plan.floor_raised": _(
        "security counter {counter}, floor {floor} (raises the floor to {counter}: older "
        "releases can no longer be installed afterwards)",
        "安全计数器 {counter}，下限 {floor}（安全下限将升到 {counter}：之后无法再安装更旧的版本）",
    ),
    "firmware.plan.install": _("install", "安装"),
    "firmware.plan.finish": _("confirm the image already on trial", "确认已在试运行的固件"),
    "firmware.plan.switch_back": _(
        "  slot {slot} still holds {version}: once the lock proves by its SHA-256 that it is this "
        "very image, no image byte is sent",
        "  槽位 {slot} 中仍保存着 {version}：锁以哈希值证明正是此映像后，不再发送任何映像字节",
    ),
    "firmware.plan.delta": _(
        "  delta from slot {slot} ({base}): {patch} KiB to send instead of {image} KiB "
        "({full} KiB compressed); the lock rebuilds the image from the one it runs",
        "  基于槽位 {slot}（{base}）的增量：只需发送 {patch} KiB，而不是 {image} KiB"
        "（压缩后 {full} KiB）；锁根据正在运行的映像重建新映像",
    ),
    "firmware.confirm_one": _("Install on this lock?", "在这把锁上安装？"),
    "firmware.confirm_many": _("Install on {count} locks?", "在 {count} 把锁上安装？"),
    "firmware.installed": _(
        "{serial}: installed {change} in slot {slot}, confirmed ({health}); security floor "
        "{floor}; {seconds} s{resumed}.",
        "{serial}：已将 {change} 安装到槽位 {slot} 并确认（{health}）；安全下限 {floor}；"
        "用时 {seconds} 秒{resumed}。",
    ),
    "firmware.installed.resumed": _(", resumed at byte {bytes}", "，从第 {bytes} 字节处续传"),
    "firmware.installed_count": _(
        "{done} of {total} locks installed.", "{total} 把锁中已安装 {done} 把。"
    ),
    "firmware.phase.precheck": _("pre-check", "预检"),
    "firmware.phase.transfer": _("transfer", "传输"),
    "firmware.phase.activate": _("activate", "激活"),
    "firmware.phase.reboot": _("trial boot", "试运行启动"),
    "firmware.phase.health": _("health check", "健康检查"),
    "firmware.phase.confirm": _("confirm", "确认"),
    "firmware.slot.empty": _("empty", "空"),
    "firmware.slot.valid": _("valid", "有效"),
    "firmware.slot.invalid": _("invalid", "无效"),
    "firmware.slot.trial": _("on trial", "试运行中"),
    "firmware.last.none": _("none", "无"),
    "firmware.last.booted": _("booted", "已启动"),
    "firmware.last.confirmed": _("confirmed", "已确认"),
    "firmware.last.invalid_image": _(
        "refused: image damaged or not signed by the manufacturer",
        "被拒绝：固件已损坏或不是制造商签名",
    ),
    "firmware.last.below_floor": _(
        "refused: security counter below the lock's floor", "被拒绝：安全计数器低于锁的安全下限"
    ),
    "firmware.last.wrong_model": _("refused: image for another model", "被拒绝：固件属于其他型号"),
    "firmware.last.reverted": _(
        "reverted: the trial image was not confirmed", "已回退：试运行的固件未被确认"
    ),
    "firmware.running_factory": _("{version} (factory image)", "{version}（出厂固件）"),
    "firmware.running_slot": _("{version} from slot {slot}", "{version}，来自槽位 {slot}"),
    "firmware.running_on_trial": _(
        "{running}, on trial (not confirmed)", "{running}，试运行中（未确认）"
    ),
    "firmware.field.running": _("running", "运行中"),
    "firmware.field.floor": _("security floor", "安全下限"),
    "firmware.field.last_install": _("last install", "上次安装"),
    "firmware.field.slot": _("slot {slot}", "槽位 {slot}"),
    "firmware.slot_detail": _(
        "{state}, {version}, security counter {counter}, {size} bytes",
        "{state}，{version}，安全计数器 {counter}，{size} 字节",
    ),
}

TEXTS.update(FIRMWARE)

DIAGNOSTICS: dict[str, dict[str, str]] = {
    "diag.check.battery": _("Battery at rest", "电池（静置）"),
    "diag.check.battery_resistance": _("Battery under load", "电池（负载）"),
    "diag.check.motor": _("Motor and bolt travel", "电机和锁舌行程"),
    "diag.check.bolt_sensor": _("Bolt position sensor", "锁舌位置传感器"),
    "diag.check.keypad_stuck": _("Keypad: stuck keys", "键盘：卡键"),
    "diag.check.keypad_keys": _("Keypad: every key", "键盘：逐键测试"),
    "diag.check.buzzer": _("Buzzer", "蜂鸣器"),
    "diag.check.leds": _("LEDs", "指示灯"),
    "diag.check.rtc": _("Clock", "时钟"),
    "diag.check.temperature": _("Temperature", "温度"),
    "diag.check.tamper": _("Tamper switch", "防撬开关"),
    "diag.check.door_sensor": _("Door sensor", "门传感器"),
    "diag.check.error_log": _("Error log", "错误日志"),
    "diag.check.versions": _("Firmware and bootloader", "固件和引导程序"),
    "diag.limits": _("limits: {limits}", "限值：{limits}"),
    "diag.limit.warn_below": _("warn below {value} {unit}", "低于 {value} {unit} 警告"),
    "diag.limit.fail_below": _("fail below {value} {unit}", "低于 {value} {unit} 不合格"),
    "diag.limit.warn_above": _("warn above {value} {unit}", "高于 {value} {unit} 警告"),
    "diag.limit.fail_above": _("fail above {value} {unit}", "高于 {value} {unit} 不合格"),
    "diag.motor_needs_open": _(
        "The lock is closed: a motor test never opens a locked safe. Open it with a user code "
        "(bolt retracted), then run this check again.",
        "锁处于关闭状态：电机测试绝不会打开上锁的保险柜。请先用用户密码开锁（锁舌缩回），"
        "然后重新运行此检测。",
    ),
    "diag.no_current": _("the motor drew no current", "电机没有电流"),
    "diag.detail.battery_load": _(
        "{rest} mV at rest, {loaded} mV at {current} mA; {limits}",
        "静置 {rest} mV，{current} mA 负载下 {loaded} mV；{limits}",
    ),
    "diag.value.stalled": _("stalled", "卡住"),
    "diag.detail.stalled": _(
        "the bolt did not move; the motor drew {current} mA", "锁舌没有移动；电机电流 {current} mA"
    ),
    "diag.detail.motor": _(
        "out {out} ms, in {in_ms} ms, peak {peak} mA",
        "伸出 {out} 毫秒，缩回 {in_ms} 毫秒，峰值 {peak} mA",
    ),
    "diag.detail.bolt_sensor": _(
        "sensor reads {sensed}, controller drove it {commanded}",
        "传感器读数为{sensed}，控制器驱动为{commanded}",
    ),
    "diag.detail.stuck": _("keys reading pressed at rest: {keys}", "静置时显示按下的键：{keys}"),
    "diag.needs_key_presser": _(
        "needs a person to press every key (run with --interactive)",
        "需要有人逐个按键（加 `--interactive` 运行）",
    ),
    "diag.value.all_keys_work": _("all keys work", "所有按键正常"),
    "diag.detail.never_registered": _("never registered: {keys}", "从未响应的键：{keys}"),
    "diag.needs_confirmer": _(
        "needs a person to confirm it (run with --interactive)",
        "需要有人确认（加 `--interactive` 运行）",
    ),
    "diag.value.confirmed": _("confirmed", "已确认"),
    "diag.value.not_seen": _("not seen or heard", "未看到或未听到"),
    "diag.detail.rtc_behind": _(
        "board clock {seconds} s behind this laptop; {limits}",
        "锁板时钟比本机慢 {seconds} 秒；{limits}",
    ),
    "diag.detail.rtc_ahead": _(
        "board clock {seconds} s ahead of this laptop; {limits}",
        "锁板时钟比本机快 {seconds} 秒；{limits}",
    ),
    "diag.detail.rtc_consequence": _("{reading}. {consequence}", "{reading}。{consequence}"),
    "diag.rtc.far": _(
        "Recovery is not affected (the lock times it on its own lived time), but the lock judges "
        "certificates on its newest signed time and its audit times are off; only the service "
        "authority's signed time can put it right: `safetool clock --set --authority URL`",
        "恢复不受影响（锁按自身运行时间计时），但锁按最新签名时间判断证书，审计时间也有偏差；"
        "只有服务中心签发的时间才能校正：`safetool clock --set --authority URL`",
    ),
    "diag.rtc.near_behind": _(
        "Recovery and certificates are not affected; `safetool clock --set` puts it right from "
        "this laptop",
        "恢复和证书均不受影响；可用 `safetool clock --set` 按本机时间校正",
    ),
    "diag.rtc.near": _(
        "Recovery and certificates are not affected",
        "恢复和证书均不受影响",
    ),
    "diag.detail.door_impossible": _(
        "reads open while the bolt is extended", "锁舌伸出时却显示门已打开"
    ),
    "diag.detail.log_empty": _("empty", "空"),
    "diag.detail.error_times": _("{error} ×{count}", "{error} ×{count}"),
    "diag.detail.errors": _("{errors}", "{errors}"),
    "diag.detail.known_issue_firmware": _(
        "firmware {version}: {advisory}", "固件 {version}：{advisory}"
    ),
    "diag.detail.known_issue_bootloader": _(
        "bootloader {version}: {advisory}", "引导程序 {version}：{advisory}"
    ),
    "diag.detail.known_issues": _("{issues}", "{issues}"),
    "board_error.motor_stall": _("motor stall", "电机卡住"),
    "board_error.motor_slow": _("motor slow", "电机过慢"),
    "board_error.bolt_sensor_mismatch": _("bolt sensor mismatch", "锁舌传感器不一致"),
    "board_error.low_voltage": _("low voltage", "电压过低"),
    "board_error.key_stuck": _("key stuck", "按键卡住"),
    "board_error.flash_retry": _("flash write retried", "闪存写入重试"),
    "board_error.watchdog_reset": _("watchdog reset", "看门狗复位"),
    "board_error.rtc_invalid": _("clock invalid", "时钟无效"),
    "board_error.unknown": _("error {code}", "错误 {code}"),
}

TEXTS.update(DIAGNOSTICS)

DIAGNOSTICS_CLI: dict[str, dict[str, str]] = {
    "diag.cli.diagnosing": _("Diagnosing the lock on {port} ...", "正在诊断 {port} 上的锁……"),
    "diag.cli.nothing_to_fix": _("Nothing to fix.", "无需维修。"),
    "diag.cli.finding": _("{verdict}: {title}: {detail}", "{verdict}：{title}：{detail}"),
    "diag.cli.part": _("likely part: {number} ({name})", "可能的零件：{number}（{name}）"),
    "diag.cli.next": _("next: {step}", "下一步：{step}"),
    "diag.cli.not_run": _("not run: {title}: {detail}", "未运行：{title}：{detail}"),
    "diag.mark.pass": _("ok", "通过"),
    "diag.mark.warn": _("WARN", "警告"),
    "diag.mark.fail": _("FAIL", "不合格"),
    "diag.mark.could_not_run": _("--", "未运行"),
    "diag.verdict.pass": _("PASS", "通过"),
    "diag.verdict.warn": _("WARN", "警告"),
    "diag.verdict.fail": _("FAIL", "不合格"),
    "diag.verdict.could_not_run": _("NOT RUN", "未运行"),
}

TEXTS.update(DIAGNOSTICS_CLI)

REPORT: dict[str, dict[str, str]] = {
    "report.title": _("Service report", "维修服务报告"),
    "report.visit": _("Visit", "服务单号"),
    "report.lock": _("Lock", "锁具"),
    "report.serial": _("Serial number", "序列号"),
    "report.model": _("Model", "型号"),
    "report.site": _("Customer site", "客户地点"),
    "report.technician": _("Technician", "技术员"),
    "report.started": _("Started", "开始时间"),
    "report.ended": _("Ended", "结束时间"),
    "report.open": _("still open", "尚未结束"),
    "report.findings": _("What was found", "检查发现"),
    "report.work": _("What was done", "处理措施"),
    "report.notes": _("Notes", "备注"),
    "report.checks": _("Checks", "检测项目"),
    "report.check": _("Check", "项目"),
    "report.verdict": _("Verdict", "结论"),
    "report.value": _("Measured", "测量值"),
    "report.part_number": _("Part number", "零件编号"),
    "report.detail": _("Detail", "说明"),
    "report.pass": _("pass", "合格"),
    "report.warn": _("warning", "警告"),
    "report.fail": _("fail", "不合格"),
    "report.could_not_run": _("not checked", "未检测"),
    "report.parts": _("Parts replaced", "更换零件"),
    "report.description": _("Description", "名称"),
    "report.quantity": _("Qty", "数量"),
    "report.reason": _("Reason", "原因"),
    "report.firmware": _("Firmware", "固件"),
    "report.unchanged": _("unchanged", "未变更"),
    "report.recoveries": _("Lockout recoveries", "锁定解除"),
    "report.audit": _("Audit trail (latest entries)", "审计记录（最近条目）"),
    "report.audit_ok": _(
        "Verified: complete hash chain, signed by the lock.", "已验证：哈希链完整，并由锁具签名。"
    ),
    "report.audit_unsigned": _(
        "Complete hash chain, but NOT signed by the lock.", "哈希链完整，但锁具未签名。"
    ),
    "report.audit_bad": _(
        "VERIFICATION FAILED: the trail was tampered with.", "验证失败：审计记录已被篡改。"
    ),
    "report.index": _("#", "序号"),
    "report.time": _("Time", "时间"),
    "report.event": _("Event", "事件"),
    "report.signoff": _("Sign-off", "客户签收"),
    "report.signed_by": _("Signed off by", "签收人"),
    "report.satisfaction": _("Satisfaction", "满意度"),
    "report.comment": _("Comment", "客户意见"),
    "report.none": _("none", "无"),
    "report.not_signed": _("not yet signed off", "尚未签收"),
    "report.hotline": _("Hotline", "服务热线"),
    "report.nothing_found": _("The checks found nothing to fix.", "检测未发现需要处理的问题。"),
    "report.no_parts": _("No parts were replaced.", "未更换零件。"),
    "report.firmware_changed": _(
        "Firmware changed from {before} to {after}.", "固件已从 {before} 更换为 {after}。"
    ),
    "report.firmware_kept": _("Firmware {version}, unchanged.", "固件 {version}，未变更。"),
    "report.recovery_line": _(
        "Lockout recovery {counter}, authorised by the service centre {method}; close seal {seal}.",
        "第 {counter} 次锁定解除，由服务中心{method}授权；关闭封码 {seal}。",
    ),
    "report.verification": _("Verification", "真伪验证"),
    "report.verification_how": _(
        "This report is signed by the certified technician's key. The service centre can check "
        "that it is genuine and unaltered from this file; the code below is the signature.",
        "本报告由持证技术员的密钥签名。服务中心可凭此文件核验其真实、未被改动；下方代码即为签名。",
    ),
    "report_signature.unreadable": _(
        "The report's signature block cannot be read ({why}).", "无法读取报告的签名部分（{why}）。"
    ),
    "report_signature.unreadable.meaning": _("Its origin cannot be checked.", "无法核验它的来源。"),
    "report_signature.unreadable.next": _(
        "Ask the customer for the report file exactly as the technician left it.",
        "请向客户索取技术员留下的原始报告文件。",
    ),
    "report_signature.missing": _(
        "This report carries no technician's signature.", "这份报告没有技术员签名。"
    ),
    "report_signature.missing.meaning": _(
        "It may have been written without a technician's identity, or altered.",
        "它可能是在没有技术员身份的情况下生成的，或已被改动。",
    ),
    "report_signature.missing.next": _(
        "Check the visit in the service records, or ask the technician for a signed report.",
        "请核对服务记录中的这次上门服务，或请技术员提供已签名的报告。",
    ),
    "report_signature.forged": _("The report's signature does not verify.", "报告的签名验证失败。"),
    "report_signature.forged.meaning": _(
        "It was not signed by a technician this service centre certified, or it was altered "
        "after signing.",
        "它不是由本服务中心认证的技术员签名的，或签名后被改动过。",
    ),
    "report_signature.forged.next": _(
        "Treat the report as not genuine; check the visit in the service records.",
        "请视该报告为不可信；核对服务记录中的这次上门服务。",
    ),
    "report_signature.other_technician": _(
        "The report names technician {named} but was signed by {signer}.",
        "报告写的是技术员 {named}，签名的却是 {signer}。",
    ),
    "report.method.phone": _("by phone", "电话"),
    "report.method.online": _("online", "在线"),
    "report.customer_signature": _("Customer's signature", "客户签字"),
    "report.technician_signature": _("Technician's signature", "技术员签字"),
    "report.appendix": _("Appendix: technical record", "附录：技术记录"),
    "report.appendix_for": _(
        "For the service centre: every check with its reading, and the lock's audit trail.",
        "供服务中心使用：每项检测及其读数，以及锁的审计记录。",
    ),
}

TEXTS.update(REPORT)

POLICY: dict[str, dict[str, str]] = {
    "policy.wrong_codes": _("Wrong codes before a lockout", "锁定前允许的错误密码次数"),
    "policy.window_s": _("Counting window (s)", "计数时间窗（秒）"),
    "policy.lockout_s": _("Penalty lockout (s)", "惩罚锁定（秒）"),
    "policy.hard_after_lockouts": _("Lockouts before a hard lockout", "进入硬锁定前的锁定次数"),
    "policy.time_delay_s": _("Time delay (s)", "延时开启（秒）"),
    "policy.opening_window_s": _("Opening window (s)", "开启时间窗（秒）"),
    "policy.dual_control": _("Dual control (0 or 1)", "双人控制（0 或 1）"),
    "policy.answer_valid_min": _(
        "Recovery answer valid for (min, lock's own time)", "恢复应答有效期（分钟，按锁自身计时）"
    ),
    "policy.was": _("(was {before})", "（原为 {before}）"),
    "policy.bad_setting": _("Cannot read the setting {pair}.", "无法读取设置 {pair}。"),
    "policy.bad_setting.next": _(
        "Use NAME=NUMBER with NAME one of: {names}.", "请用 `名称=数字`，名称为以下之一：{names}。"
    ),
}

TEXTS.update(POLICY)

CONVERSATION: dict[str, dict[str, str]] = {
    "link.silent": _("No lock controller answered on {port}.", "{port} 上没有锁控制器应答。"),
    "link.silent.meaning": _(
        "The port opened, but nothing on it speaks the safetool protocol.",
        "端口已打开，但上面没有设备使用 safetool 协议。",
    ),
    "link.silent.next": _(
        "Check that this is the lock's service port (`safetool ports`), that the baud rate "
        "matches (--baud; the default is 115200), and wake the lock by pressing a key on its "
        "keypad.",
        "确认这是锁的服务端口（`safetool ports`）、波特率一致（`--baud`，默认 115200），"
        "并按一下锁的键盘唤醒它。",
    ),
    "link.no_common_version": _(
        "The lock and safetool share no protocol version.", "锁与 safetool 没有共同支持的协议版本。"
    ),
    "link.lock_said": _("The lock said: {detail}.", "锁的回复：{detail}。"),
    "link.no_common_version.next": _(
        "Update safetool if the lock is newer than it; otherwise update the lock firmware at "
        "the service centre.",
        "如果锁比 safetool 新，请更新 safetool；否则请在服务中心更新锁的固件。",
    ),
    "link.no_answer": _(
        "The lock did not answer {request} ({count} tries).",
        "锁没有应答 {request}（已尝试 {count} 次）。",
    ),
    "link.no_answer.meaning": _(
        "The link is up but the lock stopped answering; nothing is known about whether it "
        "acted on the request.",
        "链路正常，但锁不再应答；无法确定它是否执行了该请求。",
    ),
    "link.no_answer.next": _(
        "Check the cable and the lock's battery, then retry.", "检查线缆和锁的电池，然后重试。"
    ),
    "session.lost": _(
        "The secure session ended before the lock answered {request}: {reason}.",
        "锁应答 {request} 之前安全会话已结束：{reason}。",
    ),
    "session.lost.meaning": _(
        "The lock may or may not have acted on it. A forged, replayed or corrupted encrypted "
        "frame ends a session on purpose.",
        "锁可能执行了该请求，也可能没有。伪造、重放或损坏的加密帧会有意结束会话。",
    ),
    "session.lost.next": _(
        "Open a new session and check the lock's state first.", "请打开新的会话，并先检查锁的状态。"
    ),
    "session.refused": _(
        "The lock refused a secure session: {detail}.", "锁拒绝建立安全会话：{detail}。"
    ),
    "session.refused.meaning": _(
        "Nothing privileged can be done on this lock with this certificate.",
        "使用此证书无法在这把锁上执行任何特权操作。",
    ),
    "session.refused.next": _(
        "Check that your certificate is current and not revoked (ask the service centre), and "
        "that the lock's clock is right.",
        "确认你的证书在有效期内且未被吊销（询问服务中心），并确认锁的时钟正确。",
    ),
    "session.refused_lock_clock": _(
        "The lock refused a secure session by its own clock: {detail}.",
        "锁按自身时钟拒绝建立安全会话：{detail}。",
    ),
    "session.refused_lock_clock.meaning": _(
        "Your certificate is valid by this laptop's clock ({valid_from} to {valid_to}, UTC), so "
        "the lock's clock is off by more than it can allow for, and it has not had a recent "
        "signed time from the service authority.",
        "按本机时钟你的证书有效（协调世界时 {valid_from} 至 {valid_to}），"
        "说明锁的时钟偏差超出其容许范围，且锁最近没有收到服务中心签发的时间。",
    ),
    "session.refused_lock_clock.next": _(
        "Online, run `safetool clock --set --authority URL`: it brings the service authority's "
        "newest revocation list, whose signed time the lock takes before the session, then puts "
        "the clock right. If the lock still refuses, call the service centre.",
        "请联网运行 `safetool clock --set --authority URL`：它会带来服务中心最新的吊销列表，"
        "锁在建立会话前接受其中的签名时间，然后校正时钟。如果锁仍然拒绝，请致电服务中心。",
    ),
    "session.refused.check_key": _(
        "Check your technician key and certificate.", "检查你的技术员密钥和证书。"
    ),
    "session.not_genuine": _(
        "The lock failed to prove it is a genuine {model}: {error}.",
        "锁未能证明自己是正品 {model}：{error}。",
    ),
    "session.not_genuine.meaning": _(
        "It may be a counterfeit board or a device in the middle of the cable. No secret was "
        "sent to it.",
        "它可能是假冒的主板，或线缆中间接入的设备。没有向它发送任何机密。",
    ),
    "session.not_genuine.next": _(
        "Do not continue on this lock; report its serial to the service centre.",
        "不要继续操作这把锁；把它的序列号报告给服务中心。",
    ),
    "lock.refused": _(
        "The lock refused {request}: {code} ({detail}).", "锁拒绝了 {request}：{code}（{detail}）。"
    ),
    "lock.refused.meaning": _(
        "The lock is unchanged by this request.", "该请求没有改变锁的任何状态。"
    ),
    "lock.refused.next": _(
        "Try again; if it repeats, note the error code.", "请重试；如果反复出现，请记下错误代码。"
    ),
    "lock.refused.next_unknown_type": _(
        "The lock firmware does not know this request: update the firmware.",
        "锁的固件不认识这个请求：请更新固件。",
    ),
    "lock.refused.next_busy": _(
        "The lock is busy (motor running or booting): wait a few seconds and retry.",
        "锁正忙（电机运转或正在启动）：等几秒后重试。",
    ),
    "lock.refused.next_not_allowed": _(
        "This needs a secure session and the right qualification.", "这需要安全会话和相应的资质。"
    ),
    "lock.refused.next_version": _(
        "Update safetool or the lock firmware.", "请更新 safetool 或锁的固件。"
    ),
    "lock.refused.next_list_out_of_date": _(
        "The lock's revocation list is out of date and this laptop had no newer one for it. "
        "Fetch the current list from the service centre (`safetool technician update "
        "--authority URL`), then connect to the lock again: the list goes to the lock as the "
        "session opens.",
        "锁的吊销列表已过期，而本机也没有更新的列表可给它。请从服务中心取得当前列表"
        "（`safetool technician update --authority URL`），"
        "然后重新连接锁：建立会话时列表会交给锁。",
    ),
    "lock.refused.next_expired": _(
        "The lock judges your certificate outside its validity now: renew it at the service "
        "centre, or, if the certificate is valid by today's date, have the lock's clock set "
        "(`safetool clock --set --authority URL`).",
        "锁判断您的证书现在不在有效期内：请到服务中心续期证书；如果按今天的日期证书仍有效，"
        "请校准锁的时钟（`safetool clock set --authority URL`）。",
    ),
}

TEXTS.update(CONVERSATION)

INSTALL_REFUSALS: dict[str, dict[str, str]] = {
    "install.refused_trial": _(
        "{serial}: install refused (the lock runs firmware {version} on trial, not yet confirmed).",
        "{serial}：拒绝安装（锁正在试运行固件 {version}，尚未确认）。",
    ),
    "install.refused_trial.meaning": _(
        "A trial image must be kept or reverted before another install; nothing was sent to the "
        "lock.",
        "试运行中的固件必须先确认或回退，才能再次安装；未向锁发送任何数据。",
    ),
    "install.refused_trial.next": _(
        "Wait {seconds} s for the lock to revert it by itself (or reset the lock), or install "
        "that same image again to confirm it.",
        "等待 {seconds} 秒让锁自行回退（或复位锁），或者再次安装同一固件以确认它。",
    ),
    "install.refused_battery": _(
        "{serial}: install refused (battery at {volts} V; an install needs at least {needed} V).",
        "{serial}：拒绝安装（电池 {volts} V；安装至少需要 {needed} V）。",
    ),
    "install.refused_battery.meaning": _(
        "A battery this low may die during the install; nothing was sent.",
        "电量这么低，安装途中电池可能耗尽；未发送任何数据。",
    ),
    "install.refused_battery.next": _(
        "Fit a new battery pack (`safetool diag --check battery` names the part), then install "
        "again.",
        "换上新电池组（`safetool diag --check battery` 会给出零件号），然后重新安装。",
    ),
    "install.refused_busy": _(
        "{serial}: install refused ({why}).", "{serial}：拒绝安装（{why}）。"
    ),
    "install.refused_busy.meaning": _(
        "Firmware is installed only while nobody is opening the safe; nothing was sent.",
        "只有在无人开启保险柜时才能安装固件；未发送任何数据。",
    ),
    "install.busy.penalty_lockout": _("the lock is in a penalty lockout", "锁处于惩罚锁定"),
    "install.busy.penalty_lockout.next": _(
        "Wait for the lockout to end (`safetool status`), then install again.",
        "等锁定结束（`safetool status`）后再安装。",
    ),
    "install.busy.hard_lockout": _("the lock is in a hard lockout", "锁处于硬锁定"),
    "install.busy.hard_lockout.next": _(
        "Recover it first (`safetool recover`), then install again.",
        "请先恢复它（`safetool recover`），然后重新安装。",
    ),
    "install.busy.time_delay": _("an opening is under way (time delay)", "正在开启中（延时）"),
    "install.busy.time_delay.next": _(
        "Let the opening finish or expire, then install again.", "等开启过程完成或超时后再安装。"
    ),
    "install.busy.opening_window": _(
        "an opening is under way (opening window)", "正在开启中（开启窗口期）"
    ),
    "install.busy.opening_window.next": _(
        "Let the opening finish or expire, then install again.", "等开启过程完成或超时后再安装。"
    ),
    "install.busy.bolt_moving": _("the bolt is moving", "锁舌正在移动"),
    "install.busy.bolt_moving.next": _(
        "Wait a moment, then install again.", "稍等片刻，然后重新安装。"
    ),
}

TEXTS.update(INSTALL_REFUSALS)

AUDIT: dict[str, dict[str, str]] = {
    "audit.kind.power_on": _("power on", "上电"),
    "audit.kind.session_opened": _("session opened", "会话建立"),
    "audit.kind.session_refused": _("session refused", "拒绝会话"),
    "audit.kind.session_closed": _("session closed", "会话关闭"),
    "audit.kind.revocations_updated": _("revocations updated", "吊销列表已更新"),
    "audit.kind.revocations_refused": _("revocations refused", "拒绝吊销列表"),
    "audit.kind.privileged_refused": _("privileged command refused", "拒绝特权命令"),
    "audit.kind.recovery_challenge": _("recovery challenge", "恢复挑战码"),
    "audit.kind.recovery_refused": _("recovery refused", "拒绝恢复"),
    "audit.kind.recovery_opened": _("recovery opened", "恢复开锁"),
    "audit.kind.recovery_sealed": _("recovery sealed", "恢复已封码"),
    "audit.kind.config_changed": _("policy changed", "策略已修改"),
    "audit.kind.config_refused": _("policy change refused", "拒绝修改策略"),
    "audit.kind.clock_jump_back": _("clock jumped back", "时钟回拨"),
    "audit.kind.clock_jump_forward": _("clock jumped forward", "时钟前跳"),
    "audit.kind.clock_set": _("clock set", "时钟已设置"),
    "audit.kind.clock_set_refused": _("clock setting refused", "拒绝设置时钟"),
    "audit.kind.silent_alarm": _("silent alarm", "无声报警"),
    "audit.kind.code_entered": _("code entered", "输入密码"),
    "audit.kind.lockout": _("lockout", "锁定"),
    "audit.kind.tamper": _("tamper", "防撬"),
    "audit.kind.firmware_installed": _("firmware installed", "固件已安装"),
    "audit.kind.power_loss": _("power loss", "断电"),
    "audit.kind.diagnostic": _("diagnostic", "诊断"),
    "audit.kind.test_fill": _("test entry", "测试记录"),
    "audit.kind.audit_repaired": _(
        "audit trail repaired after a power cut", "断电后修复了审计记录"
    ),
    "audit.kind.bolt_retracted": _("bolt retracted", "锁舌缩回"),
    "audit.kind.bolt_extended": _("bolt extended", "锁舌伸出"),
    "audit.kind.relocked": _("relocked", "重新上锁"),
    "audit.kind.door_opened": _("door opened", "门已打开"),
    "audit.kind.door_closed": _("door closed", "门已关闭"),
    "audit.kind.low_battery": _("low battery", "电量低"),
    "audit.kind.diag_motor_test": _("motor test (diagnostics)", "电机测试（诊断）"),
    "audit.kind.diag_motor_refused": _(
        "motor test refused (diagnostics)", "电机测试被拒绝（诊断）"
    ),
    "audit.kind.diag_keypad_test": _("keypad test (diagnostics)", "键盘测试（诊断）"),
    "audit.kind.other": _("other entry", "其他记录"),
    "firmware.phase.done": _("done", "完成"),
    "audit.kind.unknown": _("entry kind {kind}", "条目类型 {kind}"),
    "audit.summary": _(
        "{serial}: {count} entries written, {held} held by the lock, {new} read now ({bytes} "
        "bytes in {seconds} s).",
        "{serial}：共写入 {count} 条，锁中保存 {held} 条，本次读取 {new} 条（{bytes} 字节，"
        "用时 {seconds} 秒）。",
    ),
    "audit.finding.problem": _("PROBLEM{where}: {message}", "问题{where}：{message}"),
    "audit.finding.note": _("note{where}: {message}", "说明{where}：{message}"),
    "audit.finding.where": _(" [entry {index}]", "［第 {index} 条］"),
    "audit.verified_signed": _(
        "Verified: the hash chain is complete and its head is signed by the lock's device key.",
        "已验证：哈希链完整，链头由锁的设备密钥签名。",
    ),
    "audit.verified_unsigned": _(
        "Verified: the hash chain is complete and its head is NOT signed.",
        "已验证：哈希链完整，但链头没有签名。",
    ),
    "audit.tampered": _(
        "VERIFICATION FAILED: this trail has been tampered with. Nothing new was added to this "
        "laptop's copy. Do not rely on it; report the lock's serial and the entries above to "
        "the service centre.",
        "验证失败：这份审计记录已被篡改。本机副本没有添加任何新内容。请勿依赖它；"
        "把锁的序列号和上面的条目报告给服务中心。",
    ),
    "audit.reading": _(
        "reading audit trail: {done}/{total} entries", "正在读取审计记录：{done}/{total} 条"
    ),
}

TEXTS.update(AUDIT)

VISITS: dict[str, dict[str, str]] = {
    "visit.started": _("Visit {id} to {serial} started.", "已开始上门服务 {id}（{serial}）。"),
    "visit.reopened": _(
        "Visit {id} to {serial} was still open: taken up again.",
        "上门服务 {id}（{serial}）仍未结束：已继续。",
    ),
    "visit.part_added": _(
        "{count} × {part} recorded on visit {id}.", "已在上门服务 {id} 中记录 {count} × {part}。"
    ),
    "visit.noted.finding": _("finding noted", "已记录发现"),
    "visit.noted.work": _("work noted", "已记录处理措施"),
    "visit.noted.note": _("note noted", "已记录备注"),
    "visit.checks_attached": _("{count} check results attached", "已附上 {count} 项检测结果"),
    "visit.audit_attached": _(
        "audit excerpt of {count} entries attached", "已附上 {count} 条审计记录摘录"
    ),
    "visit.recovery_recorded": _("recovery {counter} recorded", "已记录第 {counter} 次恢复"),
    "visit.firmware_now": _("firmware now {version}", "固件现为 {version}"),
    "visit.noted": _("Visit {id}: {what}.", "上门服务 {id}：{what}。"),
    "visit.nothing_to_note": _("Nothing to note.", "没有可记录的内容。"),
    "visit.nothing_to_note.next": _(
        "Give TEXT, or --diag, --audit, --recovery or --firmware-after.",
        "请给出文字，或 `--diag`、`--audit`、`--recovery`、`--firmware-after`。",
    ),
    "visit.closed": _(
        "Visit {id} closed, signed off by {name}.", "上门服务 {id} 已结束，由 {name} 签字确认。"
    ),
    "visit.status.open": _("open", "进行中"),
    "visit.status.closed": _("closed", "已结束"),
    "visit.none_yet": _("No visits on this laptop yet.", "本机还没有上门服务记录。"),
    "visit.heading": _("Visit {id} ({status}) to {serial}", "上门服务 {id}（{status}）：{serial}"),
    "visit.still_open": _("still open", "尚未结束"),
    "visit.when": _("{technician}, {started} to {ended}", "{technician}，{started} 至 {ended}"),
    "visit.field.site": _("site", "客户地点"),
    "visit.field.technician": _("technician", "技术员"),
    "visit.field.findings": _("findings", "发现"),
    "visit.field.work_done": _("work done", "处理措施"),
    "visit.field.notes": _("notes", "备注"),
    "visit.field.part": _("part", "零件"),
    "visit.field.check": _("check", "检测"),
    "visit.field.firmware": _("firmware", "固件"),
    "visit.field.audit": _("audit", "审计"),
    "visit.field.signed_off": _("signed off", "签收"),
    "visit.audit_entries": _("{count} entries", "{count} 条"),
    "visit.audit_verified": _("verified", "已验证"),
    "visit.audit_failed": _("VERIFICATION FAILED", "验证失败"),
    "visit.signed": _("{name}, satisfaction {rating}/5", "{name}，满意度 {rating}/5"),
    "visit.exported": _(
        "{count} closed visits written to {file}.", "已将 {count} 次已结束的上门服务写入 {file}。"
    ),
    "visit.report_written": _(
        "Report of visit {id} written to {file}.", "上门服务 {id} 的报告已写入 {file}。"
    ),
    "visit.bad_json": _(
        "Cannot read {file} as JSON: {error}.", "无法把 {file} 读作 JSON：{error}。"
    ),
    "visit.bad_json.next": _(
        "Attach the file exactly as `safetool diag --json` or `safetool audit --json` wrote it.",
        "请原样附上 `safetool diag --json` 或 `safetool audit --json` 写出的文件。",
    ),
}

TEXTS.update(VISITS)

IMAGE_REFUSALS: dict[str, dict[str, str]] = {
    "image.too_large": _(
        "{path}: image refused ({size} bytes is larger than any lock's firmware slot).",
        "{path}：固件被拒绝（{size} 字节，超过任何锁的固件槽位）。",
    ),
    "image.too_large.meaning": _(
        "This cannot be a firmware image for a lock controller.", "这不可能是锁控制器的固件。"
    ),
    "image.too_large.next": _("Check you picked the right file.", "请确认选择的文件正确。"),
    "image.for_model": _("model {model}", "型号 {model}"),
    "image.for_no_model": _("no model", "未注明型号"),
    "image.no_revisions": _("none named", "未注明"),
    "image.wrong_model": _(
        "{source}: image refused (it is for {named}, not the {model}).",
        "{source}：固件被拒绝（它适用于{named}，而不是 {model}）。",
    ),
    "image.wrong_model.meaning": _(
        "Firmware for another model can disable the lock's motor, keypad or sensors.",
        "其他型号的固件可能使锁的电机、键盘或传感器失效。",
    ),
    "image.wrong_model.next": _(
        "Use an image released for the {model}.", "请使用为 {model} 发布的固件。"
    ),
    "image.wrong_revision": _(
        "{source}: image refused (hardware revisions {revisions}; the lock's board is revision "
        "{revision}).",
        "{source}：固件被拒绝（适用硬件版本 {revisions}；锁的主板是版本 {revision}）。",
    ),
    "image.wrong_revision.meaning": _(
        "This release was not built or tested for this controller board.",
        "该版本不是为这种控制板构建或测试的。",
    ),
    "image.wrong_revision.next": _(
        "Use a release that lists hardware revision {revision}.",
        "请使用注明支持硬件版本 {revision} 的发布版本。",
    ),
    "image.no_counter": _(
        "{source}: image refused (it carries no security counter, SEC_CNT).",
        "{source}：固件被拒绝（没有安全计数器 `SEC_CNT`）。",
    ),
    "image.no_counter.meaning": _(
        "Locks only boot releases that carry a signed security counter.",
        "锁只会引导带有已签名安全计数器的版本。",
    ),
    "image.no_counter.next": _(
        "Use a release built with `safetool firmware build --security-counter N`.",
        "请使用以 `safetool firmware build --security-counter N` 构建的版本。",
    ),
    "image.too_big_for_slot": _(
        "{source}: image refused ({size} bytes; the firmware slot holds {limit} bytes of image).",
        "{source}：固件被拒绝（{size} 字节；固件槽位最多容纳 {limit} 字节）。",
    ),
    "image.too_big_for_slot.meaning": _(
        "The image cannot fit the lock's flash slot next to MCUboot's trailer.",
        "加上 MCUboot 的尾部数据后，该固件放不进锁的闪存槽位。",
    ),
    "image.too_big_for_slot.next": _(
        "Use a release built for this model.", "请使用为此型号构建的版本。"
    ),
    "image.below_floor": _(
        "{source}: image refused (its security counter is {counter}; the lock's security floor "
        "is {floor}).",
        "{source}：固件被拒绝（其安全计数器为 {counter}；锁的安全下限为 {floor}）。",
    ),
    "image.below_floor.meaning": _(
        "The lock's anti-rollback floor forbids images signed before a security fix; nothing "
        "was sent to the lock.",
        "锁的防回滚下限禁止安装在安全修复之前签名的固件；未向锁发送任何数据。",
    ),
    "image.below_floor.next": _(
        "Install a release whose security counter is {floor} or more (`safetool firmware info "
        "IMAGE` shows it).",
        "请安装安全计数器不低于 {floor} 的版本（`safetool firmware info IMAGE` 可查看）。",
    ),
}

TEXTS.update(IMAGE_REFUSALS)

CLOCK: dict[str, dict[str, str]] = {
    "clock.skew.days_fast": _("{days} d {hours} h fast", "快 {days} 天 {hours} 小时"),
    "clock.skew.days_slow": _("{days} d {hours} h slow", "慢 {days} 天 {hours} 小时"),
    "clock.skew.hours_fast": _("{hours} h {minutes} min fast", "快 {hours} 小时 {minutes} 分钟"),
    "clock.skew.hours_slow": _("{hours} h {minutes} min slow", "慢 {hours} 小时 {minutes} 分钟"),
    "clock.skew.minutes_fast": _("{minutes} min fast", "快 {minutes} 分钟"),
    "clock.skew.minutes_slow": _("{minutes} min slow", "慢 {minutes} 分钟"),
    "clock.skew.seconds_fast": _("{seconds} s fast", "快 {seconds} 秒"),
    "clock.skew.seconds_slow": _("{seconds} s slow", "慢 {seconds} 秒"),
    "clock.offset": _(
        "The lock's clock is {skew} against this laptop's.", "锁的时钟比本机{skew}。"
    ),
    "clock.offset.consequence": _(
        "Recovery does not depend on the lock's clock; certificates are judged on the newest "
        "time the service authority signed for it, and its audit entries carry this clock's "
        "times. Put it right with `safetool clock --set --authority URL`.",
        "恢复不依赖锁的时钟；证书按服务中心为该锁签发的最新时间判断，审计记录使用此时钟的时间。"
        "请用 `safetool clock --set --authority URL` 校正。",
    ),
    "clock.set": _(
        "Clock set to this laptop's time: moved by {seconds} s (recorded in the audit trail).",
        "时钟已按本机时间设置：调整了 {seconds} 秒（已记入审计记录）。",
    ),
    "clock.set_signed": _(
        "Clock set to the service authority's signed time: moved by {seconds} s (recorded in "
        "the audit trail).",
        "时钟已按服务中心签发的时间设置：调整了 {seconds} 秒（已记入审计记录）。",
    ),
    "clock.needs_statement": _(
        "The lock refused this laptop's time: its clock is {skew}, more than a laptop may "
        "correct alone.",
        "锁拒绝了本机时间：锁的时钟{skew}，超出了电脑单独可校正的范围。",
    ),
    "clock.needs_statement.meaning": _(
        "A laptop may only move a lock's clock forward, {nudge_s} s in all between two signed "
        "times; setting it back, or further, needs a time statement signed by the service "
        "authority. Nothing was changed; the refusal is in the lock's audit trail.",
        "电脑只能把锁的时钟向前调，两次签名时间之间合计不超过 {nudge_s} 秒；向后调或调得更多需要"
        "服务中心签发的时间声明。未做任何更改；此次拒绝已记入锁的审计记录。",
    ),
    "clock.needs_statement.next": _(
        "Connect to the service authority and run `safetool clock --set --authority URL`.",
        "请连接服务中心后运行 `safetool clock --set --authority URL`。",
    ),
    "recovery.clock_skew": _(
        "The lock's clock is {skew}. It did not hinder the recovery; put it right with "
        "`safetool clock --set --authority URL`.",
        "锁的时钟{skew}。这没有妨碍恢复；请用 `safetool clock --set --authority URL` 校正。",
    ),
    "dashboard.clock_skew": _(
        "The lock's clock is {skew}. Recovery is not affected; the lock judges certificates on "
        "its newest signed time. Put it right: `safetool clock --set --authority URL`",
        "锁的时钟{skew}。恢复不受影响；锁按最新签名时间判断证书。校正方法："
        "`safetool clock --set --authority URL`",
    ),
    "image.info.image": _("image", "固件文件"),
    "image.info.version": _("version", "版本"),
    "image.info.security_counter": _("security counter", "安全计数器"),
    "image.info.model": _("model", "型号"),
    "image.info.hardware_revisions": _("hardware revisions", "硬件版本"),
    "image.info.channel": _("channel", "发布渠道"),
    "image.info.signature": _("signature", "签名"),
    "image.info.unsigned": _("none (unsigned)", "无（未签名）"),
    "image.info.size": _("size", "大小"),
    "image.info.size_value": _(
        "{bytes} bytes ({payload} payload)", "{bytes} 字节（有效载荷 {payload}）"
    ),
    "image.info.notes": _("Release notes:", "发布说明："),
    "image.hash_mismatch": _(
        "{source}: the image's hash does not match its contents: it was damaged or altered "
        "after signing; no lock will take it.",
        "{source}：固件的哈希与内容不符：签名后已损坏或被篡改；任何锁都不会接受它。",
    ),
    "visits.db_read_only": _(
        "The visits database {path} cannot be written: {error}.",
        "无法写入上门记录数据库 {path}：{error}。",
    ),
    "visits.db_read_only.meaning": _("Nothing was recorded.", "未记录任何内容。"),
    "visits.db_read_only.next": _(
        "Check the file's permissions (and that it is not immutable), or use another file with "
        "`--db`.",
        "请检查文件权限（以及文件是否被设为不可修改），或用 `--db` 指定另一个文件。",
    ),
    "visits.db_damaged": _(
        "The visits database {path} cannot be read: {error}.",
        "无法读取上门记录数据库 {path}：{error}。",
    ),
    "visits.db_damaged.meaning": _(
        "It is damaged, or it is not a safetool visits database; nothing was changed.",
        "文件已损坏，或不是 safetool 的上门记录数据库；未做任何更改。",
    ),
    "visits.db_damaged.next": _(
        "Restore it from a backup, or use another file with `--db`.",
        "请从备份恢复，或用 `--db` 指定另一个文件。",
    ),
    "visits.no_folder": _(
        "There is no folder {folder} for the visits database.",
        "上门记录数据库所在的文件夹 {folder} 不存在。",
    ),
    "visits.no_folder.meaning": _("Nothing was created.", "未创建任何内容。"),
    "visits.no_folder.next": _("Check the `--db` path.", "请检查 `--db` 路径。"),
    "lock.out_of_bounds": _(
        "The lock reported {field} = {value}, outside what the protocol allows ({bounds}).",
        "锁报告的 {field} = {value}，超出协议允许的范围（{bounds}）。",
    ),
    "lock.out_of_bounds.meaning": _(
        "Its firmware is faulty or it is not a genuine lock; nothing was written to it.",
        "锁的固件有故障，或不是正品锁；未向锁写入任何内容。",
    ),
    "lock.out_of_bounds.next": _(
        "Note the value and call the service centre; do not install on this lock.",
        "请记下该值并致电服务中心；不要在这把锁上安装固件。",
    ),
    "recovery.refused_then_wait": _("{refused} {wait}", "{refused}{wait}"),
    "recovery.wait": _(
        "The lock takes the next answer in {seconds} s; keep the response, nothing needs retyping.",
        "锁将在 {seconds} 秒后接受下一个应答；请保留应答码，无需重新输入。",
    ),
}

TEXTS.update(CLOCK)

# --- Bluetooth scan and the emulated board (safetool scan, safetool demo) ----------------------
SCAN_AND_DEMO: dict[str, dict[str, str]] = {
    "scan.none": _(
        "No lock seen within {seconds} s. Wake the lock (press a key) and come closer; for an "
        "emulated board set `SAFETOOL_BLE_HCI` (docs/ble.md).",
        "{seconds} 秒内未发现锁。请唤醒锁（按任意键）并靠近；使用模拟锁板时请设置 "
        "`SAFETOOL_BLE_HCI`（见 `docs/ble.md`）。",
    ),
    "scan.column.name": _("name", "名称"),
    "scan.column.address": _("address", "地址"),
    "scan.column.rssi": _("rssi", "信号"),
    "scan.column.serial": _("serial", "序列号"),
    "scan.column.model": _("model", "型号"),
    "scan.connect_hint": _(
        "Connect with `--port ble:<address or name>`, e.g. `--port ble:{address}`",
        "用 `--port ble:<地址或名称>` 连接，例如 `--port ble:{address}`",
    ),
    "demo.started": _("Started an emulated lock on {port}.", "已在 {port} 上启动模拟锁。"),
    "demo.customer": _(
        "A customer types a wrong code, then the right one:",
        "一位顾客先输入错误密码，再输入正确密码：",
    ),
    "demo.event": _("event: {event}", "事件：{event}"),
    "demo.next": _(
        "Next: `safetool emulate` keeps a board running; then try "
        "`safetool info --port <its port>` or `safetool monitor --port <its port>`.",
        "下一步：`safetool emulate` 可让模拟锁板持续运行；然后试试 "
        "`safetool info --port <端口>` 或 `safetool monitor --port <端口>`。",
    ),
}

TEXTS.update(SCAN_AND_DEMO)

# --- the install after it started (services/firmware_install.py) ------------------------------
INSTALL_FAILURES: dict[str, dict[str, str]] = {
    "install.failed.other_trial": _(
        "{serial}: another image is on trial on the lock.",
        "{serial}：锁上有另一个固件正在试运行。",
    ),
    "install.failed.other_trial.next": _(
        "Wait for the lock to revert it, then install again.", "等锁回退它之后再安装。"
    ),
    "install.failed.read_back": _(
        "{serial}: the lock read back a different image.",
        "{serial}：锁读回的固件与发送的不同。",
    ),
    "install.failed.again": _("Install again.", "请重新安装。"),
    "install.failed.not_booted": _(
        "{serial}: the lock did not boot the new image (it runs {version}; last install: "
        "{result}).",
        "{serial}：锁没有引导新固件（正在运行 {version}；上次安装：{result}）。",
    ),
    "install.failed.not_booted.meaning": _(
        "The old firmware keeps running; nothing was confirmed.",
        "原固件继续运行；没有确认任何内容。",
    ),
    "install.failed.not_booted.next": _(
        "Check the image with `safetool firmware verify`, then install again.",
        "用 `safetool firmware verify` 检查固件，然后重新安装。",
    ),
    "install.failed.bad_state": _(
        "{serial}: after the install the lock reports {state}.",
        "{serial}：安装后锁报告状态为{state}。",
    ),
    "install.failed.bad_state.meaning": _(
        "The new image was not confirmed: the lock reverts to the old one by itself.",
        "新固件未被确认：锁会自行回退到原固件。",
    ),
    "install.failed.bad_state.next": _(
        "Reset the lock to revert now, and report the release to the service centre.",
        "复位锁以立即回退，并把该版本报告给服务中心。",
    ),
    "install.failed.self_test": _(
        "{serial}: the new firmware's self-test failed: {checks}.",
        "{serial}：新固件自检失败：{checks}。",
    ),
    "install.failed.self_test.meaning": _(
        "It was not confirmed: the lock goes back to the old firmware at its next reset, or by "
        "itself within a few minutes.",
        "新固件未被确认：锁会在下次复位时，或在几分钟内自行回退到原固件。",
    ),
    "install.failed.self_test.next": _(
        "Run `safetool diag` to find the faulty part.", "运行 `safetool diag` 找出故障零件。"
    ),
    "install.health_check.flash": _("flash", "闪存"),
    "install.health_check.motor_driver": _("motor driver", "电机驱动"),
    "install.health_check.sensors": _("sensors", "传感器"),
    "install.health_check.keypad": _("keypad", "键盘"),
    "install.health_check.clock": _("clock", "时钟"),
    "install.failed.not_activated": _(
        "{serial}: the lock would not activate the image: {detail}.",
        "{serial}：锁拒绝激活该固件：{detail}。",
    ),
    "install.failed.not_activated.meaning": _(
        "The old firmware keeps running; the new image was not booted.",
        "原固件继续运行；新固件没有被引导。",
    ),
    "install.failed.not_activated.next": _(
        "Install again; if it repeats, the image or the lock's flash is damaged.",
        "请重新安装；如果反复出现，说明固件文件或锁的闪存已损坏。",
    ),
    "install.failed.no_restart": _(
        "The lock did not restart after activating the new image.", "激活新固件后锁没有重启。"
    ),
    "install.failed.no_restart.meaning": _(
        "It may still be running the old firmware.", "它可能仍在运行原固件。"
    ),
    "install.failed.no_restart.next": _(
        "Check `safetool firmware status`, then install again.",
        "查看 `safetool firmware status`，然后重新安装。",
    ),
    "install.failed.another_lock": _(
        "{port}: lock {found} answered when the install reconnected, not {serial}; nothing was "
        "sent to it.",
        "{port}：安装重新连接时应答的是锁 {found}，而不是 {serial}；没有向它发送任何内容。",
    ),
    "install.failed.another_lock.meaning": _(
        "The port now leads to another lock (a cable moved, or the adapter came back under "
        "another lock's name). {serial} keeps running its old firmware and remembers what it "
        "has received.",
        "该端口现在连着另一把锁（线缆被换过，或适配器重新出现时连到了另一把锁）。{serial} "
        "继续运行原固件，并记住已收到的部分。",
    ),
    "install.failed.another_lock.next": _(
        "Connect {serial} again and run the same install: it continues where it stopped.",
        "重新连接 {serial}，再执行同一安装：将从中断处继续。",
    ),
    "install.failed.interrupted": _(
        "{serial}: the install was interrupted: {error}", "{serial}：安装被中断：{error}"
    ),
    "install.failed.interrupted.meaning": _(
        "The lock keeps running its old firmware and remembers what it has received.",
        "锁继续运行原固件，并记住已收到的部分。",
    ),
    "install.failed.interrupted.next": _(
        "Check the cable and the battery, then run the same install again: it continues where "
        "it stopped.",
        "检查线缆和电池，然后重新执行同一安装：将从中断处继续。",
    ),
}

TEXTS.update(INSTALL_FAILURES)

# --- an image that cannot be used, and files the system refused ------------------------------
IMAGE_UNUSABLE: dict[str, dict[str, str]] = {
    "image.refused": _("{source}: image refused ({detail}).", "{source}：固件被拒绝（{detail}）。"),
    "image.detail.empty": _("the file is empty", "文件为空"),
    "image.detail.short_header": _(
        "{size} bytes: shorter than MCUboot's 32-byte header",
        "{size} 字节：比 MCUboot 的 32 字节头部还短",
    ),
    "image.detail.big_endian": _(
        "a big-endian MCUboot image; lock controllers use little-endian",
        "大端序的 MCUboot 固件；锁控制器使用小端序",
    ),
    "image.detail.magic": _(
        "image magic is {magic}, not MCUboot's {expected}",
        "固件标识为 {magic}，不是 MCUboot 的 {expected}",
    ),
    "image.detail.header_size": _(
        "header size {size} is below 32 bytes", "头部大小 {size} 小于 32 字节"
    ),
    "image.detail.encrypted": _(
        "an encrypted image: safetool cannot check its payload",
        "加密的固件：safetool 无法检查其负载",
    ),
    "image.detail.short_payload": _(
        "the payload ends at byte {end} but the file has {size} bytes",
        "负载在第 {end} 字节结束，但文件只有 {size} 字节",
    ),
    "image.detail.unprotected": _(
        "TLV {tlv} is outside the protected (signed) area", "TLV {tlv} 位于受保护（已签名）区域之外"
    ),
    "image.detail.no_tlv_area": _(
        "the file ends before the {area} TLV area", "文件在 {area} TLV 区之前就结束了"
    ),
    "image.detail.tlv_magic": _(
        "{area} TLV area magic is {magic}, expected {expected}",
        "{area} TLV 区的标识为 {magic}，应为 {expected}",
    ),
    "image.detail.tlv_size_mismatch": _(
        "{area} TLV area says {size} bytes, the header {header}",
        "{area} TLV 区标明 {size} 字节，头部标明 {header} 字节",
    ),
    "image.detail.tlv_too_small": _(
        "{area} TLV area size {size} is too small", "{area} TLV 区大小 {size} 太小"
    ),
    "image.detail.inside_tlv_area": _(
        "the file ends inside the {area} TLV area", "文件在 {area} TLV 区中间就结束了"
    ),
    "image.detail.tlv_header_crosses": _(
        "a TLV header crosses the end of the {area} TLV area", "有 TLV 头越过了 {area} TLV 区的末尾"
    ),
    "image.detail.tlv_value_crosses": _(
        "a TLV value crosses the end of the {area} TLV area", "有 TLV 值越过了 {area} TLV 区的末尾"
    ),
    "image.detail.tlv_repeated": _(
        "TLV {tlv} appears {count} times", "TLV {tlv} 出现了 {count} 次"
    ),
    "image.detail.sec_cnt": _(
        "SEC_CNT holds {size} bytes, not 4", "SEC_CNT 有 {size} 字节，而不是 4 字节"
    ),
    "image.detail.not_text": _("TLV {tlv} is not UTF-8 text", "TLV {tlv} 不是 UTF-8 文本"),
    "image.detail.other_signature": _(
        "the image is signed with RSA or ECDSA, not ED25519",
        "固件用 RSA 或 ECDSA 签名，而不是 Ed25519",
    ),
    "image.detail.unsigned": _("the image carries no signature", "固件没有签名"),
    "image.detail.two_hashes": _(
        "the image carries more than one hash TLV", "固件带有不止一个哈希 TLV"
    ),
    "image.detail.no_hash": _("the image carries no hash TLV", "固件没有哈希 TLV"),
    "image.detail.hash": _(
        "the hash of header, payload and protected TLVs does not match",
        "头部、负载和受保护 TLV 的哈希不一致",
    ),
    "image.detail.keyhash": _(
        "the image names a different signing key (KEYHASH)", "固件指明的是另一个签名密钥（KEYHASH）"
    ),
    "image.detail.pubkey": _(
        "the image carries a different signing key (PUBKEY)", "固件携带的是另一个签名密钥（PUBKEY）"
    ),
    "image.detail.bad_signature": _(
        "the signature does not verify although the image names this key",
        "固件指明的是这个密钥，但签名校验失败",
    ),
    "image.detail.signature": _(
        "the signature does not verify with this key", "用这个密钥校验签名失败"
    ),
    "image.detail.other": _("{text}", "{text}"),
    "image.refused.empty": _("The file holds no bytes.", "该文件没有任何内容。"),
    "image.refused.empty.next": _(
        "Copy the image again from the release.", "从发布包重新复制固件。"
    ),
    "image.refused.truncated": _(
        "The file is cut short: a download or copy did not finish.",
        "该文件不完整：下载或复制没有完成。",
    ),
    "image.refused.truncated.next": _(
        "Copy the image again from the release and check its size.",
        "从发布包重新复制固件，并检查其大小。",
    ),
    "image.refused.not_an_image": _(
        "This is not an MCUboot firmware image (perhaps a raw .bin or a different file).",
        "这不是 MCUboot 固件（可能是原始 `.bin` 或其他文件）。",
    ),
    "image.refused.not_an_image.next": _(
        "Use the signed image from the release, not the raw build output.",
        "请使用发布包中已签名的固件，而不是原始构建输出。",
    ),
    "image.refused.corrupt": _(
        "The image's structure is damaged; it cannot be trusted or installed.",
        "该固件的结构已损坏；不可信任，也无法安装。",
    ),
    "image.refused.corrupt.next": _(
        "Copy the image again from the release.", "从发布包重新复制固件。"
    ),
    "image.refused.unsupported": _(
        "Lock controllers cannot boot this kind of MCUboot image.",
        "锁控制器无法引导这种 MCUboot 固件。",
    ),
    "image.refused.unsupported.next": _(
        "Use an image built with `safetool firmware build`.",
        "请使用以 `safetool firmware build` 构建的固件。",
    ),
    "image.refused.unsigned": _(
        "An unsigned image is never installed: the lock's bootloader would refuse it.",
        "未签名的固件绝不会被安装：锁的引导程序会拒绝它。",
    ),
    "image.refused.unsigned.next": _(
        "Sign it with the manufacturer's firmware key (`safetool firmware build`).",
        "请用制造商的固件密钥签名（`safetool firmware build`）。",
    ),
    "image.refused.unsupported_signature": _(
        "Lock controllers only accept Ed25519 signatures.", "锁控制器只接受 Ed25519 签名。"
    ),
    "image.refused.unsupported_signature.next": _(
        "Sign it with the manufacturer's Ed25519 firmware key.",
        "请用制造商的 Ed25519 固件密钥签名。",
    ),
    "image.refused.tampered": _(
        "The image was changed after it was signed. A lock's bootloader would refuse to boot it.",
        "该固件在签名后被修改过。锁的引导程序会拒绝引导它。",
    ),
    "image.refused.tampered.next": _(
        "Use the original image from the release.", "请使用发布包中的原始固件。"
    ),
    "image.refused.wrong_key": _(
        "The image was signed with another key than the manufacturer's firmware key you "
        "trust; the lock would refuse it.",
        "该固件不是用你信任的制造商固件密钥签名的；锁会拒绝它。",
    ),
    "image.refused.wrong_key.next": _(
        "Use an image released by the manufacturer, or check `--pki`/`--key` is the right one.",
        "请使用制造商发布的固件，或检查 `--pki`/`--key` 是否正确。",
    ),
    "image.refused.unusable": _("The image cannot be used.", "该固件无法使用。"),
    "image.refused.unusable.next": _(
        "Use the original image from the release.", "请使用发布包中的原始固件。"
    ),
    "image.unreadable": _("Cannot read {path}: {error}.", "无法读取 {path}：{error}。"),
    "image.unreadable.next": _("Check the image's path.", "检查固件文件的路径。"),
    "image.not_a_file": _("{path} is not a file.", "{path} 不是文件。"),
    "image.not_a_file.next": _("Give an image file.", "请指定一个固件文件。"),
    "image.no_key": _(
        "No firmware key to check the image against.", "没有用来校验固件的固件密钥。"
    ),
    "image.no_key.next": _(
        "Pass `--pki DIR` (a folder with trust.json), `--key PUBLIC.pem`, or set `{env}` to "
        "your technician folder.",
        "请传入 `--pki DIR`（含 `trust.json` 的文件夹）、`--key PUBLIC.pem`，或把 `{env}` "
        "设为你的技术员文件夹。",
    ),
    "image.key_unreadable": _(
        "Cannot read the firmware key from {path} ({error}).",
        "无法从 {path} 读取固件密钥（{error}）。",
    ),
    "image.key_unreadable.next": _(
        "Point `--pki` at a dev-pki or technician folder holding trust.json.",
        "请让 `--pki` 指向含有 `trust.json` 的开发密钥或技术员文件夹。",
    ),
    "image.key_file_unreadable": _(
        "Cannot read the key {path}: {error}.", "无法读取密钥 {path}：{error}。"
    ),
    "image.key_file_unreadable.next": _("Check the key's path.", "请检查密钥的路径。"),
    "image.not_a_key": _("{path} is not an Ed25519 key.", "{path} 不是 Ed25519 密钥。"),
    "image.not_a_key.next": _(
        "Give the firmware public key as PEM (`imgtool getpub --encoding pem`) or as 64 hex "
        "digits.",
        "请以 PEM 格式（`imgtool getpub --encoding pem`）或 64 位十六进制数字给出固件公钥。",
    ),
    "image.no_slot_size": _(
        "safetool knows no firmware slot size for model {model}.",
        "safetool 不知道型号 {model} 的固件槽位大小。",
    ),
    "image.no_slot_size.next": _(
        "Pass `--slot-size BYTES`, or check the model name.",
        "请传入 `--slot-size BYTES`，或检查型号名称。",
    ),
    "os.no_such_file": _("no such file or folder", "文件或文件夹不存在"),
    "os.permission_denied": _("permission denied", "没有权限"),
    "os.is_a_folder": _("it is a folder", "这是一个文件夹"),
    "os.not_a_folder": _("a part of the path is not a folder", "路径中有一部分不是文件夹"),
    "os.disk_full": _("the disk is full", "磁盘已满"),
    "os.read_only": _("the disk is read-only", "磁盘为只读"),
    "os.other": _("{text}", "{text}"),
}

TEXTS.update(IMAGE_UNUSABLE)

# --- the link: ports and Bluetooth (transport/) ------------------------------------------------
LINK_AND_BLUETOOTH: dict[str, dict[str, str]] = {
    "port.none_given": _("No port given.", "未指定端口。"),
    "port.none_given.next": _(
        "Pass `--port` (e.g. /dev/ttyUSB0, `COM3`, `socket://host:port`) or set `SAFETOOL_PORT`; "
        "`safetool ports` lists what is connected.",
        "请传入 `--port`（例如 /dev/ttyUSB0、`COM3`、`socket://host:port`）或设置 "
        "`SAFETOOL_PORT`；`safetool ports` 可列出已连接的端口。",
    ),
    "link.not_open": _("{port} is not open", "{port} 未打开"),
    "link.closed": _("{port} was closed", "{port} 已关闭"),
    "link.reconnecting": _(
        "Reconnecting: the request was abandoned.", "正在重新连接：该请求已放弃。"
    ),
    "link.connection_closed": _("The connection was closed.", "连接已关闭。"),
    "ble.no_target": _(
        "A BLE port needs the lock's address, name or serial: `ble:<address or name>`.",
        "BLE 端口需要锁的地址、名称或序列号：`ble:<地址或名称>`。",
    ),
    "ble.scan_to_list.next": _(
        "Run `safetool scan` to list the locks in range.", "运行 `safetool scan` 列出范围内的锁。"
    ),
    "ble.not_a_lock": _(
        "{device} is not a lock controller (it has no safetool service).",
        "{device} 不是锁控制器（它没有 safetool 服务）。",
    ),
    "ble.not_a_lock.meaning": _(
        "A device with a similar name answered.", "应答的是名称相似的另一台设备。"
    ),
    "ble.not_a_lock.next": _(
        "Run `safetool scan` and use the address of the lock.",
        "运行 `safetool scan`，并使用锁的地址。",
    ),
    "ble.lost": _(
        "The Bluetooth link to the lock {target} was lost{detail}.",
        "与锁 {target} 的蓝牙连接已断开{detail}。",
    ),
    "ble.lost.meaning": _(
        "The lock went out of range, reset, or lost power, or another device took the "
        "connection. Nothing sent after this point reached the lock.",
        "锁超出范围、复位或断电，或另一台设备占用了连接。此后发送的内容都没有到达锁。",
    ),
    "ble.lost.next": _(
        "Come closer, wake the lock with a key press, and connect again.",
        "靠近锁，按键唤醒它，然后重新连接。",
    ),
    "ble.macos_denied": _(
        "macOS does not allow this terminal to use Bluetooth.", "macOS 不允许此终端使用蓝牙。"
    ),
    "ble.macos_denied.meaning": _(
        "Without that permission macOS ends the program without a message, so safetool stopped "
        "before touching Bluetooth.",
        "没有该权限时 macOS 会不加提示地结束程序，所以 safetool 在使用蓝牙之前就停止了。",
    ),
    "ble.macos_denied.next": _(
        "Open System Settings → Privacy & Security → Bluetooth, allow your terminal app "
        "(Terminal, iTerm, VS Code), then quit and reopen it.",
        "打开 系统设置 → 隐私与安全性 → 蓝牙，允许你的终端应用（`Terminal`、`iTerm`、"
        "`VS Code`），然后退出并重新打开它。",
    ),
    "ble.windows_old": _(
        "This Windows (build {build}) is too old for Bluetooth Low Energy.",
        "此 Windows（内部版本 {build}）太旧，不支持低功耗蓝牙。",
    ),
    "ble.windows_old.meaning": _(
        "BLE needs Windows 10 version 1709 (build 16299) or newer.",
        "BLE 需要 Windows 10 1709 版（内部版本 16299）或更新版本。",
    ),
    "ble.windows_old.next": _(
        "Update Windows, or use the lock's USB service cable.",
        "请更新 Windows，或使用锁的 USB 维修线缆。",
    ),
    "ble.not_found": _(
        "No lock matching {target} answered over Bluetooth.",
        "没有与 {target} 匹配的锁通过蓝牙应答。",
    ),
    "ble.not_found_within": _(
        "No lock matching {target} answered over Bluetooth within {seconds} s.",
        "{seconds} 秒内没有与 {target} 匹配的锁通过蓝牙应答。",
    ),
    "ble.not_found.meaning": _(
        "The lock is off, asleep, out of range (BLE reaches about 10 m through a safe door, less "
        "through steel), or already connected to another phone or laptop.",
        "锁已关闭、处于休眠、超出范围（BLE 隔着保险柜门约可达 10 米，隔着钢板更近），"
        "或已连接到另一部手机或电脑。",
    ),
    "ble.not_found.next": _(
        "Wake the lock (press a key), come closer, disconnect other apps, and run "
        "`safetool scan` to see the names and addresses in range.",
        "唤醒锁（按任意键）、靠近一些、断开其他应用，"
        "并运行 `safetool scan` 查看范围内的名称和地址。",
    ),
    "ble.failed": _(
        "Bluetooth connection to {target} failed: {error}", "与 {target} 的蓝牙连接失败：{error}"
    ),
    "ble.failed.meaning": _("The lock could not be reached over BLE.", "无法通过 BLE 连接到锁。"),
    "ble.failed.next": _(
        "Come closer to the lock, wake it with a key press and try again; `safetool scan` shows "
        "what is in range.",
        "靠近锁，按键唤醒后重试；`safetool scan` 可列出范围内的设备。",
    ),
    "ble.user_denied": _(
        "This user may not use Bluetooth ({error}).", "此用户不能使用蓝牙（{error}）。"
    ),
    "ble.user_denied.meaning": _(
        "The system's Bluetooth policy refused the request.", "系统的蓝牙策略拒绝了该请求。"
    ),
    "ble.user_denied.next": _(
        "Add yourself to the `bluetooth` group (`sudo usermod -aG bluetooth $USER`, then log in "
        "again), or ask the administrator to allow BlueZ access over D-Bus.",
        "把自己加入 `bluetooth` 用户组（`sudo usermod -aG bluetooth $USER`，然后重新登录），"
        "或请管理员允许通过 D-Bus 访问 BlueZ。",
    ),
    "ble.emulated_radio": _(
        "The Bluetooth controller named by {name} cannot be used.",
        "{name} 指定的蓝牙控制器无法使用。",
    ),
    "ble.emulated_radio.meaning": _(
        "`SAFETOOL_BLE_HCI` points safetool at an emulated radio; {error}.",
        "`SAFETOOL_BLE_HCI` 让 safetool 使用模拟的无线电；{error}。",
    ),
    "ble.emulated_radio.next": _(
        "Start the emulated board (`safetool emulate --ble`) and set `SAFETOOL_BLE_HCI` to its "
        "ready line's hci, or unset it to use this computer's Bluetooth.",
        "启动模拟主板（`safetool emulate --ble`），并把 `SAFETOOL_BLE_HCI` 设为其就绪行中的 "
        "`hci`；或取消该变量以使用这台电脑的蓝牙。",
    ),
    "ble.no_adapter": _(
        "This computer has no usable Bluetooth adapter ({error}).",
        "这台电脑没有可用的蓝牙适配器（{error}）。",
    ),
    "ble.no_adapter.meaning": _(
        "BLE needs a Bluetooth 4.0 or newer adapter that can act as central.",
        "BLE 需要一个能作为中心设备的蓝牙 4.0 或更新的适配器。",
    ),
    "ble.no_adapter.next": _(
        "Plug in a Bluetooth 4.0+ USB adapter, or use the lock's USB service cable.",
        "插入一个蓝牙 4.0 以上的 USB 适配器，或使用锁的 USB 维修线缆。",
    ),
    "ble.no_bluez": _(
        "The Linux Bluetooth service is not available ({error}).",
        "Linux 蓝牙服务不可用（{error}）。",
    ),
    "ble.no_bluez.meaning": _(
        "safetool talks to BLE through BlueZ (bluetoothd) over D-Bus.",
        "safetool 通过 D-Bus 经由 BlueZ（`bluetoothd`）使用 BLE。",
    ),
    "ble.no_bluez.next": _(
        "Install and start it: `sudo apt install bluez && sudo systemctl enable --now "
        "bluetooth` (in a container, share the host's `/run/dbus`).",
        "安装并启动它：`sudo apt install bluez && sudo systemctl enable --now bluetooth`"
        "（在容器中请共享主机的 `/run/dbus`）。",
    ),
    "ble.windows_thread": _(
        "Bluetooth cannot start in this program's thread on Windows.",
        "在 Windows 上，蓝牙无法在本程序的线程中启动。",
    ),
    "ble.windows_thread.meaning": _(
        "Another library set the thread to the Windows GUI (STA) threading model, which bleak "
        "cannot use.",
        "另一个库把线程设为了 Windows 图形界面（`STA`）线程模型，`bleak` 无法在其中工作。",
    ),
    "ble.windows_thread.next": _(
        "Run safetool from a plain terminal (not from a GUI shell that imports "
        "`pythoncom`/`pywin32`), or report it to the safetool team.",
        "请在普通终端中运行 safetool（不要在加载了 `pythoncom`/`pywin32` 的图形外壳中运行），"
        "或报告给 safetool 团队。",
    ),
    "ble.pairing": _(
        "The lock {target} requires pairing before it opens its service.",
        "锁 {target} 要求先配对才开放服务。",
    ),
    "ble.pairing.meaning": _(
        "Its service characteristics are protected by link encryption.",
        "它的服务特征受链路加密保护。",
    ),
    "ble.pairing.next": _(
        "Pair the laptop with the lock in the system Bluetooth settings (the lock shows or asks "
        "for a PIN), then connect again.",
        "在系统蓝牙设置中将电脑与锁配对（锁会显示或要求输入 `PIN`），然后重新连接。",
    ),
    "ble.off": _("Bluetooth is turned off on this computer.", "这台电脑的蓝牙已关闭。"),
    "ble.off.meaning": _(
        "No lock can be reached over BLE until it is on.", "打开蓝牙之前，无法通过 BLE 连接任何锁。"
    ),
    "ble.off.next": _(
        "Turn Bluetooth on (system settings or the airplane-mode switch) and try again.",
        "打开蓝牙（系统设置或飞行模式开关）后重试。",
    ),
}

TEXTS.update(LINK_AND_BLUETOOTH)

# --- the technician's identity folder (identity.py) -------------------------------------------
IDENTITY: dict[str, dict[str, str]] = {
    "identity.none": _("No technician identity given.", "未指定技术员身份。"),
    "identity.none.meaning": _(
        "Secure work (recovery, firmware, audit) needs your key and certificate.",
        "安全操作（恢复、固件、审计）需要你的密钥和证书。",
    ),
    "identity.none.next": _(
        "Pass `--technician FOLDER` or set `{env}` to the folder holding technician.key and "
        "technician.cert.",
        "请传入 `--technician FOLDER`，或把 `{env}` 设为存放 `technician.key` 和 "
        "`technician.cert` 的文件夹。",
    ),
    "identity.key_readable": _("{path} can be read by other users.", "其他用户可以读取 {path}。"),
    "identity.key_readable.meaning": _(
        "A private key must be readable by its owner only.", "私钥只能由其所有者读取。"
    ),
    "identity.key_readable.next": _("Run: `chmod 600 {path}`", "请运行：`chmod 600 {path}`"),
    "identity.unloadable": _(
        "Cannot load the technician identity in {path}: {error}",
        "无法加载 {path} 中的技术员身份：{error}",
    ),
    "identity.file_unreadable": _("{file}: {error}", "{file}：{error}"),
    "identity.damaged": _(
        "a file in it is damaged or not what safetool wrote",
        "其中的文件已损坏，或不是 safetool 写入的内容",
    ),
    "identity.unloadable.meaning": _(
        "Without it safetool cannot open a secure session with a lock.",
        "没有它，safetool 无法与锁建立安全会话。",
    ),
    "identity.unloadable.next": _(
        "Check the folder (technician.key, technician.cert, trust.json); ask the service "
        "centre for a new certificate if it is damaged.",
        "检查该文件夹（`technician.key`、`technician.cert`、`trust.json`）；"
        "如已损坏，请向服务中心申请新证书。",
    ),
}

TEXTS.update(IDENTITY)

# --- audit entries' details (services/audit.py detail_message; SPEC.md 12.10) -----------------
AUDIT_DETAILS: dict[str, dict[str, str]] = {
    "audit.detail.item": _("{label}={value}", "{label}={value}"),
    "audit.field.after": _("after", "之后"),
    "audit.field.attempts_left": _("attempts left", "剩余次数"),
    "audit.field.before": _("before", "之前"),
    "audit.field.bolt": _("bolt", "锁舌"),
    "audit.field.boot": _("boot", "启动次数"),
    "audit.field.cause": _("cause", "原因"),
    "audit.field.certificate": _("certificate", "证书"),
    "audit.field.changes": _("changes", "修改"),
    "audit.field.clock": _("clock", "时钟"),
    "audit.field.count": _("count", "数量"),
    "audit.field.counter": _("counter", "计数器"),
    "audit.field.detail": _("detail", "详情"),
    "audit.field.dropped": _("dropped", "丢弃"),
    "audit.field.issued_at": _("issued at", "签发时间"),
    "audit.field.method": _("method", "方式"),
    "audit.field.next_update": _("next update", "下次更新"),
    "audit.field.off_s": _("off by (s)", "偏差（秒）"),
    "audit.field.open": _("open", "打开"),
    "audit.field.qualifications": _("qualifications", "资质"),
    "audit.field.reason": _("reason", "原因"),
    "audit.field.request": _("request", "请求"),
    "audit.field.result": _("result", "结果"),
    "audit.field.running": _("running", "运行中"),
    "audit.field.seconds": _("seconds", "秒数"),
    "audit.field.security_floor": _("security floor", "安全下限"),
    "audit.field.size": _("size", "大小"),
    "audit.field.slot": _("slot", "槽位"),
    "audit.field.source": _("source", "来源"),
    "audit.field.state": _("state", "状态"),
    "audit.field.step": _("step", "步骤"),
    "audit.field.technician": _("technician", "技术员"),
    "audit.field.value": _("value", "值"),
    "audit.field.version": _("version", "版本"),
    "audit.field.wanted": _("wanted", "请求的时间"),
    "audit.value.yes": _("yes", "是"),
    "audit.value.no": _("no", "否"),
    "audit.value.accepted": _("accepted", "正确"),
    "audit.value.wrong": _("wrong", "错误"),
    "audit.value.blocked": _("blocked", "被阻止"),
    "audit.value.penalty": _("penalty", "惩罚锁定"),
    "audit.value.hard": _("hard", "硬锁定"),
    "audit.value.ended": _("ended", "已结束"),
    "audit.value.diagnose": _("diagnose", "诊断"),
    "audit.value.recover": _("recover", "恢复"),
    "audit.value.configure": _("configure", "配置"),
    "audit.value.firmware": _("firmware", "固件"),
    "audit.value.phone": _("phone", "电话"),
    "audit.value.online": _("online", "在线"),
    "audit.value.laptop": _("laptop", "电脑"),
    "audit.value.authority": _("authority", "服务中心"),
    "audit.value.started": _("started", "开始"),
    "audit.value.activated": _("activated", "已激活"),
    "audit.value.confirmed": _("confirmed", "已确认"),
    "audit.value.refused": _("refused", "被拒绝"),
    "audit.value.reverted": _("reverted", "已回退"),
    "audit.value.duress": _("duress code", "胁迫密码"),
    "audit.value.power_loss": _("the power went while the bolt was open", "锁舌打开时断电"),
    "audit.value.new_link": _("a new link session began", "开始了新的链路会话"),
    "audit.value.new_session": _("a new session was requested", "请求了新的会话"),
    "audit.value.ended_by_tool": _("ended by the tool", "由工具结束"),
    "audit.value.idle_timeout": _("idle timeout", "空闲超时"),
    "audit.value.link_broken": _("the link ended it", "链路中断"),
    "audit.value.disconnected": _("the Bluetooth connection was dropped", "蓝牙连接已断开"),
    "audit.value.forged_frame": _(
        "a frame failed its authentication (forged or corrupted)",
        "有数据帧未通过认证（伪造或损坏）",
    ),
    "audit.value.replayed_frame": _("a frame was replayed or reordered", "有数据帧被重放或乱序"),
    "audit.value.truncated_frame": _("a frame was cut short", "有数据帧不完整"),
}

TEXTS.update(AUDIT_DETAILS)

# --- firmware info and verify (cli/firmware_commands.py) --------------------------------------
FIRMWARE_TOOLS: dict[str, dict[str, str]] = {
    "image.channel.stable": _("stable", "正式版"),
    "image.channel.beta": _("beta", "测试版"),
    "image.channel.dev": _("dev", "开发版"),
    "image.verified": _(
        "{source}: signature good (manufacturer's firmware key); version {version}, security "
        "counter {counter}, model {model}.",
        "{source}：签名有效（制造商固件密钥）；"
        "版本 {version}，安全计数器 {counter}，型号 {model}。",
    ),
}

TEXTS.update(FIRMWARE_TOOLS)

# --- a bolt that stopped part-way (services/diagnostics/checks.py) ----------------------------
BOLT_PART_WAY: dict[str, dict[str, str]] = {
    "diag.value.part_way": _("stopped part-way", "停在中途"),
    "diag.motor_needs_bolt_freed": _(
        "The bolt stopped part-way: free it first (see the motor and bolt findings), then run "
        "this check again.",
        "锁舌停在中途：请先使其能自由移动（见电机和锁舌的检测结果），然后重新运行此检测。",
    ),
    "diag.detail.motor_part_way": _(
        "the bolt is neither extended nor retracted, so the motor test cannot start: the bolt "
        "stopped part-way (jammed) while it was driven",
        "锁舌既未伸出也未缩回，电机测试无法开始：锁舌在驱动过程中停在了中途（卡住）",
    ),
    "diag.detail.bolt_jammed": _(
        "the sensor reads neither end and the motor stalled: the bolt jammed part-way",
        "传感器两端都未检测到，且电机曾堵转：锁舌卡在中途",
    ),
    "diag.detail.bolt_neither": _(
        "the sensor reads neither end, with no motor stall logged: the sensor may be faulty "
        "or misaligned",
        "传感器两端都未检测到，且没有电机堵转记录：传感器可能故障或错位",
    ),
}

TEXTS.update(BOLT_PART_WAY)

# --- what an audit check found (services/audit.py, audit_verify.py) ----------------------------
AUDIT_FINDINGS: dict[str, dict[str, str]] = {
    "audit.earlier": _("earlier", "之前"),
    "audit.finding.unsigned": _(
        "The lock's audit head is not signed (the board has no device key): the trail cannot be "
        "proven to come from this lock.",
        "锁的审计头没有签名（锁板没有设备密钥）：无法证明该记录来自这把锁。",
    ),
    "audit.finding.no_device_key": _(
        "No device key to check the head's signature with.", "没有用来校验审计头签名的设备密钥。"
    ),
    "audit.finding.bad_signature": _(
        "The audit head's signature does not verify with this lock's device key.",
        "审计头的签名无法用这把锁的设备密钥校验通过。",
    ),
    "audit.finding.reordered": _(
        "Entry {index} comes after entry {after}: the order was changed.",
        "第 {index} 条排在第 {after} 条之后：顺序被改动过。",
    ),
    "audit.finding.missing": _(
        "Entry {index} is missing: it was removed.", "第 {index} 条缺失：它被删除了。"
    ),
    "audit.finding.altered": _(
        "Entry {index} does not match its place in the hash chain: it was altered.",
        "第 {index} 条与其在哈希链中的位置不符：它被修改过。",
    ),
    "audit.finding.overwritten": _(
        "Entries {first} to {last} were erased by the lock (its trail was full) before this "
        "laptop read them.",
        "第 {first} 至 {last} 条在这台电脑读取之前已被锁擦除（记录已满）。",
    ),
    "audit.finding.start_hash": _(
        "The chain's start hash was changed.", "哈希链的起始哈希被改动过。"
    ),
    "audit.finding.rolled_back": _(
        "The lock now holds {count} entries; this laptop already verified {verified}: its trail "
        "was reset or rolled back.",
        "锁现在只有 {count} 条记录；这台电脑已校验过 {verified} 条：记录被重置或回滚。",
    ),
    "audit.finding.head_mismatch": _(
        "The entries read do not lead to the lock's signed head: the trail was changed at or "
        "before entry {index}.",
        "读取的条目与锁签名的审计头不符：记录在第 {index} 条或之前被改动过。",
    ),
    "audit.finding.removed": _(
        "Entry {index}, downloaded on {when}, is no longer on the lock.",
        "{when} 下载的第 {index} 条已不在锁上。",
    ),
    "audit.finding.rewritten": _(
        "Entry {index} on the lock differs from the copy downloaded on {when}: the lock's "
        "history was rewritten.",
        "锁上的第 {index} 条与 {when} 下载的副本不同：锁的历史记录被改写。",
    ),
    "audit.finding.new_trail": _(
        "This lock's trail is not the one this laptop downloaded on {when}: it starts afresh "
        "(a new or replaced controller, or a factory reset). Nothing in it was found altered; "
        "the old copy is kept as {kept}.",
        "这把锁的记录不是这台电脑在 {when} 下载的那份：它是从头开始的（新的或更换过的控制板，"
        "或恢复了出厂设置）。其中未发现任何改动；旧副本保存为 {kept}。",
    ),
}

TEXTS.update(AUDIT_FINDINGS)

# --- the command line's help (safetool/command_words.py h(); docs/messages.md) -----------------
CLI_HELP: dict[str, dict[str, str]] = {
    "cli.help.audit.audit": _(
        "download and verify the lock's audit trail (only new entries after the first time)",
        "下载并校验锁的审计记录（第一次之后只取新条目）",
    ),
    "cli.help.audit.audit.description": _(
        "Opens a secure session (needs the 'diagnose' qualification), downloads the entries this "
        "laptop does not have yet, checks the hash chain and the head signed by the lock's device "
        "key, and shows the trail. Exit 1 if verification fails; the output says which entry was "
        "removed, altered or moved.",
        "建立安全会话（需要“诊断”资质），下载这台电脑还没有的条目，校验哈希链和锁用设备密钥签名"
        "的审计头，并显示记录。校验失败时退出码为 1；输出会指出哪一条被删除、修改或移动。",
    ),
    "cli.help.audit.technician": _(
        "your key and certificate folder (default: ${env_var})",
        "你的密钥和证书文件夹（默认：`${env_var}`）",
    ),
    "cli.help.audit.since": _(
        "show entries from WHEN on: a date (2026-11-01), a UTC time (2026-11-01T09:30) or an age "
        "(7d, 12h, 30m)",
        "显示某时间之后的条目：日期（2026-11-01）、UTC 时间（2026-11-01T09:30）或时长（`7d`、`12"
        "h`、`30m`）",
    ),
    "cli.help.audit.format": _(
        "output format",
        "输出格式",
    ),
    "cli.help.audit.full": _(
        "read and check the whole trail again, not only what is new",
        "重新读取并校验整个记录，而不仅是新条目",
    ),
    "cli.help.ble.timeout_s": _(
        "how long to listen (default {default})",
        "监听多长时间（默认 {default}）",
    ),
    "cli.help.ble.all": _(
        "list every BLE device, not only locks",
        "列出所有 BLE 设备，而不仅是锁",
    ),
    "cli.help.common.json": _(
        "print JSON instead of text",
        "输出 JSON 而不是文本",
    ),
    "cli.help.common.lang": _(
        "language of what is printed: en or zh-CN (default: $SAFETOOL_LANG, then the locale); "
        "--json always carries each message's code, values and English text",
        "输出的语言：`en` 或 `zh-CN`（默认：`$SAFETOOL_LANG`，其次为系统区域设置）；`--json` 总"
        "会带上每条消息的代码、参数和英文文本",
    ),
    "cli.help.common.debug": _(
        "show tracebacks and a hex trace of every frame",
        "显示调用栈和每一帧的十六进制记录",
    ),
    "cli.help.common.baud": _(
        "serial line rate (default {default})",
        "串口速率（默认 {default}）",
    ),
    "cli.help.common.timeout_s": _(
        "seconds to wait for each answer, resends included (default {default})",
        "每个应答的等待秒数，含重发（默认 {default}）",
    ),
    "cli.help.diag.diag": _(
        "diagnose the lock: battery, motor, bolt sensor, keypad, clock, tamper, errors",
        "诊断锁：电池、电机、锁舌传感器、键盘、时钟、防撬、错误记录",
    ),
    "cli.help.diag.diag.description": _(
        "Runs the checks (all by default) in a secure session (needs the 'diagnose' "
        "qualification). The motor checks need the lock open (bolt retracted): a motor test never "
        "opens a locked safe. Exit 0 if nothing warns or fails, else 1.",
        "在安全会话中运行检测（默认全部；需要“诊断”资质）。电机检测需要锁处于打开状态（锁舌缩回"
        "）：电机测试绝不会打开上锁的保险柜。没有警告或失败时退出码为 0，否则为 1。",
    ),
    "cli.help.diag.check": _(
        "run only this check (repeatable): {names}",
        "只运行这项检测（可重复）：{names}",
    ),
    "cli.help.diag.interactive": _(
        "include the checks that need you: press every key, confirm the buzzer and LEDs",
        "包括需要你参与的检测：按下每个键，确认蜂鸣器和指示灯",
    ),
    "cli.help.diag.clock": _(
        "show the lock's clock against this laptop's; --set sets it (needs 'configure')",
        "对照这台电脑显示锁的时钟；`--set` 设置它（需要“配置”资质）",
    ),
    "cli.help.diag.set": _(
        "set the lock's clock: to this laptop's (a nudge forward of up to 300 s), or with "
        "--authority to the service authority's signed time (any direction)",
        "设置锁的时钟：设为这台电脑的时间（最多向前微调 300 秒），或配合 `--authority` 设为服务"
        "中心签名的时间（任意方向）",
    ),
    "cli.help.diag.authority": _(
        "with --set: the service authority's address, for its signed time",
        "与 `--set` 一起使用：服务中心的地址，用于获取其签名时间",
    ),
    "cli.help.firmware.firmware": _(
        "build, inspect and verify signed firmware images",
        "构建、查看和校验已签名的固件",
    ),
    "cli.help.firmware.firmware.description": _(
        "Signed MCUboot images: build one with imgtool, show what an image holds, check its "
        "signature against the manufacturer's firmware key.",
        "已签名的 MCUboot 固件：用 `imgtool` 构建，显示固件内容，用制造商固件密钥校验签名。",
    ),
    "cli.help.firmware.build": _(
        "sign a payload into an MCUboot image (runs MCUboot's imgtool)",
        "把负载签名成 MCUboot 固件（运行 MCUboot 的 `imgtool`）",
    ),
    "cli.help.firmware.build.description": _(
        "Wraps `imgtool sign`: payload + version + security counter + model, hardware revisions, "
        "channel and notes (signed custom TLVs) → a signed image.",
        "封装 `imgtool sign`：负载 + 版本 + 安全计数器 + 型号、硬件版本、发布渠道和说明（已签名"
        "的自定义 TLV）→ 已签名的固件。",
    ),
    "cli.help.firmware.version": _(
        "major.minor.revision+build, e.g. 2.4.0+7",
        "主版本.次版本.修订号+构建号，例如 2.4.0+7",
    ),
    "cli.help.firmware.security_counter": _(
        "anti-rollback counter (SEC_CNT); raise it only for security fixes",
        "防回滚计数器（SEC_CNT）；只在安全修复时提高",
    ),
    "cli.help.firmware.model": _(
        "lock model, e.g. SL-100",
        "锁的型号，例如 `SL-100`",
    ),
    "cli.help.firmware.hardware_revision": _(
        "board revision the image runs on (repeat for several)",
        "固件适用的主板版本（可重复指定多个）",
    ),
    "cli.help.firmware.notes": _(
        "release notes (shown before an install)",
        "发布说明（安装前显示）",
    ),
    "cli.help.firmware.notes_file": _(
        "release notes from FILE",
        "从文件读取发布说明",
    ),
    "cli.help.firmware.key": _(
        "ED25519 firmware key (PKI/manufacturer/firmware.key)",
        "Ed25519 固件密钥（`PKI/manufacturer/firmware.key`）",
    ),
    "cli.help.firmware.slot_size": _(
        "default: from the model's data",
        "默认：取自该型号的数据",
    ),
    "cli.help.firmware.info": _(
        "show an image's version, model, counter and notes",
        "显示固件的版本、型号、计数器和说明",
    ),
    "cli.help.firmware.verify": _(
        "check an image's hash and signature (and model, revision, size if given)",
        "校验固件的哈希和签名（如给出，还校验型号、硬件版本和大小）",
    ),
    "cli.help.firmware.pki": _(
        "folder with trust.json (dev PKI or technician)",
        "含 `trust.json` 的文件夹（开发密钥或技术员文件夹）",
    ),
    "cli.help.firmware.key_2": _(
        "firmware public key (PEM or hex)",
        "固件公钥（PEM 或十六进制）",
    ),
    "cli.help.firmware.model_2": _(
        "refuse an image for another model",
        "拒绝其他型号的固件",
    ),
    "cli.help.firmware.hardware_revision_2": _(
        "refuse other revisions",
        "拒绝其他硬件版本",
    ),
    "cli.help.firmware.slot_size_2": _(
        "refuse larger images",
        "拒绝更大的固件",
    ),
    "cli.help.firmware.status": _(
        "show the lock's firmware slots, trial state, security floor, last install",
        "显示锁的固件槽位、试运行状态、安全下限和上次安装",
    ),
    "cli.help.firmware.status.description": _(
        "Opens a secure session (needs the 'firmware' qualification) and shows what slots A and B "
        "hold, which one runs (or the factory image), whether it is on trial, the security floor "
        "and the result of the last install.",
        "建立安全会话（需要“固件”资质），显示槽位 A 和 B 中的固件、正在运行哪一个（或出厂固件）"
        "、是否处于试运行、安全下限以及上次安装的结果。",
    ),
    "cli.help.firmware_install.install": _(
        "install an image, newer or older, on one lock or several",
        "在一把或多把锁上安装固件，升级降级都一样",
    ),
    "cli.help.firmware_install.install.description": _(
        "The same steps whatever the version: pre-check (model, hardware revision, signature, "
        "security floor, battery, lock state, free slot) shown with the version change, one "
        "confirmation, the transfer with progress, a trial boot, a health check and the "
        "confirmation. An interrupted install continues where it stopped.",
        "无论版本高低，步骤都相同：预检（型号、硬件版本、签名、安全下限、电池、锁状态、空闲槽位"
        "）并显示版本变化，一次确认，带进度的传输，试运行启动，健康检查和确认。中断的安装会从中"
        "断处继续。",
    ),
    "cli.help.firmware_install.base": _(
        "the image the lock runs now, if this laptop did not install it: only the difference "
        "is sent once the lock proves by its SHA-256 that it runs exactly this image (images "
        "this laptop installed are used the same way without asking)",
        "锁当前运行的映像（如果不是这台电脑安装的）：锁以 SHA-256 证明正运行此映像后，只发送"
        "差异部分（这台电脑安装过的映像无需指定，自动使用）",
    ),
    "cli.help.firmware_install.no_delta": _(
        "always send the whole image, never a patch from the one the lock runs",
        "总是发送完整映像，不使用基于当前映像的增量补丁",
    ),
    "cli.help.firmware_install.yes": _(
        "do not ask for confirmation",
        "不询问确认",
    ),
    "cli.help.firmware_install.retries": _(
        "times to reconnect and resume after a lost link (default {default})",
        "链路断开后重新连接并续传的次数（默认 {default}）",
    ),
    "cli.help.firmware_install.baud": _(
        "serial line rate",
        "串口速率",
    ),
    "cli.help.firmware_install.timeout_s": _(
        "seconds to wait for each answer",
        "每个应答的等待秒数",
    ),
    "cli.help.firmware_install.json": _(
        "JSON lines: plans, progress, results",
        "JSON 行：计划、进度、结果",
    ),
    "cli.help.firmware_install.lang": _(
        "language of what is printed: en or zh-CN (default: $SAFETOOL_LANG, then the locale)",
        "输出的语言：`en` 或 `zh-CN`（默认：`$SAFETOOL_LANG`，其次为系统区域设置）",
    ),
    "cli.help.firmware_install.debug": _(
        "tracebacks and a hex frame trace",
        "调用栈和十六进制帧记录",
    ),
    "cli.help.main.debug": _(
        "show tracebacks",
        "显示调用栈",
    ),
    "cli.help.main.fault": _(
        "give the board a fault (docs/diagnostics.md) or hard_lockout",
        "给模拟锁板一个故障（见 `docs/diagnostics.md`）或 `hard_lockout`",
    ),
    "cli.help.main.x.description": _(
        "Companion and diagnostics tool for smart-safe lock controllers.",
        "智能保险柜锁控制器的配套与诊断工具。",
    ),
    "cli.help.main.x.epilog": _(
        "Ports: /dev/ttyUSB0, COM3, socket://host:port, rfc2217://host:port or ble:<address or "
        "name>. SAFETOOL_PORT sets the default.",
        "端口：/dev/ttyUSB0、`COM3`、`socket://host:port`、`rfc2217://host:port` 或 `ble:<地址或"
        "名称>`。`SAFETOOL_PORT` 设置默认端口。",
    ),
    "cli.help.trust.dev_pki": _(
        "development PKI (keys made on this machine)",
        "开发用密钥体系（在这台电脑上生成的密钥）",
    ),
    "cli.help.trust.init": _(
        "create an authority, a firmware signer, three technicians (one revoked) and a "
        "provisioned board in DIR",
        "在该文件夹中创建服务中心、固件签名者、三名技术员（其中一名已吊销）和一块已配置的锁板",
    ),
    "cli.help.trust.recover": _(
        "recover a locked-out lock with the service centre's authorisation",
        "凭服务中心的授权恢复被锁定的锁",
    ),
    "cli.help.trust.recover.description": _(
        "Opens a secure session, asks the lock for a single-use challenge and carries the service "
        "centre's answer to it: online (--authority URL) or read over the phone (--phone). --seal "
        "shows the close seal once the safe is shut again.",
        "建立安全会话，向锁索取一次性挑战码，并把服务中心的应答交给锁：在线（`--authority URL`）"
        "或电话读出（`--phone`）。保险柜重新关好后，`--seal` 显示关闭封码。",
    ),
    "cli.help.trust.phone": _(
        "phone-in: read the challenge to the hotline, type their response",
        "电话方式：向热线读出挑战码，输入对方给的应答码",
    ),
    "cli.help.trust.authority": _(
        "online: ask the service authority at URL",
        "在线方式：向该地址的服务中心申请",
    ),
    "cli.help.trust.seal": _(
        "after a recovery, with the safe shut: show the close seal",
        "恢复之后、保险柜关好时：显示关闭封码",
    ),
    "cli.help.trust.response": _(
        "phone-in response, if already known (otherwise it is asked for)",
        "电话应答码（如已知道；否则会询问）",
    ),
    "cli.help.trust.config": _(
        "show or change the lock policy (penalty, time delay, dual control)",
        "查看或修改锁的策略（惩罚锁定、延时开启、双人控制）",
    ),
    "cli.help.trust.config.description": _(
        "Shows the lock's policy; with --set, changes it (needs the 'configure' qualification). "
        "The lock refuses values outside what lock standards allow.",
        "显示锁的策略；带 `--set` 时修改它（需要“配置”资质）。超出锁具标准允许范围的值会被锁拒绝。",
    ),
    "cli.help.trust.set": _(
        "e.g. time_delay_s=600, dual_control=1, lockout_s=600 (repeatable)",
        "例如 `time_delay_s=600`、`dual_control=1`、`lockout_s=600`（可重复）",
    ),
    "cli.help.tui.tui": _(
        "open the technician's app (the default with no command)",
        "打开技术员应用（不带命令时的默认操作）",
    ),
    "cli.help.tui.tui.description": _(
        "The technician's app: connect, dashboard, recovery, lock policy. Keyboard first: F1 "
        "help, Ctrl+P every action, F2 language, Ctrl+Q quit.",
        "技术员应用：连接、总览、恢复、锁策略。以键盘为主：F1 帮助，`Ctrl+P` 所有操作，F2 切换语"
        "言，`Ctrl+Q` 退出。",
    ),
    "cli.help.visit.visit": _(
        "the service record of a visit: start, parts, notes, close, list, show, export",
        "上门服务记录：开始、零件、备注、结束、列表、查看、导出",
    ),
    "cli.help.visit.visit.description": _(
        "Keeps each visit in a SQLite database on this laptop ($SAFETOOL_DATA_DIR or the user "
        "data folder; --db to choose). Every change is committed at once; an unfinished visit "
        "stays open and `visit start` on the same lock takes it up again.",
        "把每次上门服务保存在这台电脑上的 SQLite 数据库中（`$SAFETOOL_DATA_DIR` 或用户数据文件夹"
        "；可用 `--db` 指定）。每次修改立即保存；未完成的服务保持打开，对同一把锁执行 `visit sta"
        "rt` 会继续它。",
    ),
    "cli.help.visit.start": _(
        "start a visit (or take up the one still open)",
        "开始一次上门服务（或继续仍未结束的那次）",
    ),
    "cli.help.visit.serial": _(
        "lock serial (read from the lock when --port is given)",
        "锁序列号（给出 `--port` 时从锁读取）",
    ),
    "cli.help.visit.model": _(
        "lock model (read from the lock with --port)",
        "锁型号（配合 `--port` 从锁读取）",
    ),
    "cli.help.visit.site": _(
        "the customer site",
        "客户地点",
    ),
    "cli.help.visit.technician_id": _(
        "your technician ID (default: from --technician)",
        "你的技术员编号（默认：取自 `--technician`）",
    ),
    "cli.help.visit.technician": _(
        "your key folder",
        "你的密钥文件夹",
    ),
    "cli.help.visit.firmware_before": _(
        "(read from the lock with --port)",
        "（配合 `--port` 从锁读取）",
    ),
    "cli.help.visit.add_part": _(
        "record a part replaced",
        "记录更换的零件",
    ),
    "cli.help.visit.visit_2": _(
        "default: the open visit",
        "默认：当前未结束的服务",
    ),
    "cli.help.visit.note": _(
        "add a finding, work done or a note; attach diagnostics or audit output",
        "添加发现、已做的工作或备注；附上诊断或审计输出",
    ),
    "cli.help.visit.diag": _(
        "`safetool diag --json` output",
        "`safetool diag --json` 的输出",
    ),
    "cli.help.visit.audit": _(
        "`safetool audit --json` output",
        "`safetool audit --json` 的输出",
    ),
    "cli.help.visit.recovery": _(
        "a recovery done",
        "完成的一次恢复",
    ),
    "cli.help.visit.seal": _(
        "the recovery's close seal",
        "该次恢复的关闭封码",
    ),
    "cli.help.visit.firmware_after": _(
        "the firmware version now installed",
        "现在安装的固件版本",
    ),
    "cli.help.visit.close": _(
        "close the visit with the customer's sign-off",
        "在客户签字确认后结束这次服务",
    ),
    "cli.help.visit.list": _(
        "visits on this laptop",
        "这台电脑上的上门服务",
    ),
    "cli.help.visit.show": _(
        "one visit in full",
        "一次服务的全部内容",
    ),
    "cli.help.visit.export": _(
        "closed visits as JSON lines for the service centre (docs/visits.md)",
        "已结束的服务，以 JSON 行导出给服务中心（见 `docs/visits.md`）",
    ),
    "cli.help.visit.since": _(
        "closed on or after DATE (2026-11-01)",
        "在该日期当天或之后结束的（2026-11-01）",
    ),
    "cli.help.visit.output": _(
        "default: standard output",
        "默认：标准输出",
    ),
    "cli.help.visit.report": _(
        "the customer's report of a visit: one self-contained HTML file, or JSON",
        "一次服务的客户报告：一个独立的 HTML 文件，或 JSON",
    ),
    "cli.help.visit.lang": _(
        "the report's language (default: $SAFETOOL_LANG, then the locale)",
        "报告的语言（默认：`$SAFETOOL_LANG`，其次为系统区域设置）",
    ),
    "cli.help.visit.report_technician": _(
        "the technician's identity folder: its service_centre.json heads the report with the "
        "centre's name and hotline (default: ${env_var})",
        "技术员身份文件夹：其中的 `service_centre.json` 会在报告抬头写上服务中心的名称和热线"
        "（默认：`${env_var}`）",
    ),
    "cli.help.visit.output_2": _(
        "default: stdout",
        "默认：标准输出",
    ),
    "cli.help.visit.db": _(
        "the service-record database (default: per user)",
        "服务记录数据库（默认：每个用户一个）",
    ),
    "cli.help.options.port": _(
        "connect to this port at once (default: $SAFETOOL_PORT; else choose in the app)",
        "立即连接到这个端口（默认：`$SAFETOOL_PORT`；否则在应用中选择）",
    ),
    "cli.help.options.lang": _(
        "interface language (default: from the locale; F2 switches in the app)",
        "界面语言（默认：取自系统区域设置；在应用中按 F2 切换）",
    ),
    "cli.help.options.authority": _(
        "the service authority, for online recovery (default: $SAFETOOL_AUTHORITY)",
        "服务中心地址，用于在线恢复（默认：`$SAFETOOL_AUTHORITY`）",
    ),
}

TEXTS.update(CLI_HELP)

# --- argparse's own words (safetool/command_words.py ARGPARSE_WORDS; its %-placeholders kept) -----
ARGPARSE: dict[str, dict[str, str]] = {
    "cli.argparse.usage": _("usage: ", "用法："),
    "cli.argparse.positional": _("positional arguments", "位置参数"),
    "cli.argparse.options": _("options", "选项"),
    "cli.argparse.help": _("show this help message and exit", "显示此帮助并退出"),
    "cli.argparse.version": _("show program's version number and exit", "显示版本号并退出"),
    "cli.argparse.error": _("%(prog)s: error: %(message)s\n", "%(prog)s：错误：%(message)s\n"),
    "cli.argparse.required": _("the following arguments are required: %s", "缺少以下参数：%s"),
    "cli.argparse.unrecognized": _("unrecognized arguments: %s", "无法识别的参数：%s"),
    "cli.argparse.invalid_choice": _(
        "invalid choice: %(value)r (choose from %(choices)s)",
        "无效的选项：%(value)r（可选：%(choices)s）",
    ),
    "cli.argparse.invalid_value": _(
        "invalid %(type)s value: %(value)r", "无效的 %(type)s 值：%(value)r"
    ),
    "cli.argparse.argument": _(
        "argument %(argument_name)s: %(message)s", "参数 %(argument_name)s：%(message)s"
    ),
    "cli.argparse.expected_one": _("expected one argument", "需要一个值"),
    "cli.argparse.expected_some": _("expected at least one argument", "至少需要一个值"),
    "cli.argparse.expected_at_most_one": _("expected at most one argument", "最多只能有一个值"),
    "cli.argparse.not_allowed_with": _("not allowed with argument %s", "不能与参数 %s 同时使用"),
    "cli.argparse.one_required": _("one of the arguments %s is required", "必须给出参数 %s 之一"),
    "cli.argparse.ambiguous": _(
        "ambiguous option: %(option)s could match %(matches)s",
        "选项不明确：%(option)s 可能是 %(matches)s",
    ),
}

TEXTS.update(ARGPARSE)

# --- the commands' help lines (safetool/cli/main.py COMMAND_KEYS) ------------------------------
CLI_COMMANDS: dict[str, dict[str, str]] = {
    "cli.command.ports": _("list serial ports, likely locks first", "列出串口，可能是锁的排在前面"),
    "cli.command.info": _("identify the lock and show its state", "识别锁并显示其状态"),
    "cli.command.status": _("show the lock's state", "显示锁的状态"),
    "cli.command.monitor": _(
        "show lock events live until Ctrl-C (JSON lines)",
        "实时显示锁的事件，直到按 `Ctrl-C`（JSON 行）",
    ),
    "cli.command.emulate": _(
        "run an emulated lock board (pty, TCP or BLE)", "运行模拟锁板（伪终端、TCP 或 BLE）"
    ),
    "cli.command.authority": _(
        "the service authority: issue and record recovery authorisations",
        "服务中心：签发并记录恢复授权",
    ),
    "cli.command.scan": _(
        "list the locks in Bluetooth range (name, address, signal, serial, model)",
        "列出蓝牙范围内的锁（名称、地址、信号、序列号、型号）",
    ),
    "cli.command.demo": _(
        "start an emulated board and open the app on it (text in a pipe or with --json)",
        "启动一块模拟锁板并在其上打开应用（在管道中或带 `--json` 时输出文本）",
    ),
}

TEXTS.update(CLI_COMMANDS)

PORT_HELP: dict[str, dict[str, str]] = {
    "cli.help.common.port": _(
        "the lock's port: a serial device (/dev/ttyUSB0, COM3), any pyserial URL "
        "(socket://host:port, rfc2217://host:port) or ble:<address or name>; "
        "default: $SAFETOOL_PORT",
        "锁的端口：串口设备（/dev/ttyUSB0、`COM3`）、任意 `pyserial` 地址"
        "（`socket://host:port`、`rfc2217://host:port`）或 `ble:<地址或名称>`；"
        "默认：`$SAFETOOL_PORT`",
    ),
    "cli.help.firmware_install.port": _(
        "the lock's port: a serial device (/dev/ttyUSB0, COM3), any pyserial URL "
        "(socket://host:port, rfc2217://host:port) or ble:<address or name>; "
        "default: $SAFETOOL_PORT (repeat for several locks)",
        "锁的端口：串口设备（/dev/ttyUSB0、`COM3`）、任意 `pyserial` 地址"
        "（`socket://host:port`、`rfc2217://host:port`）或 `ble:<地址或名称>`；"
        "默认：`$SAFETOOL_PORT`（多把锁时可重复）",
    ),
}

TEXTS.update(PORT_HELP)

# --- attaching a command's output to a visit (cli/visit_commands.py) --------------------------
VISIT_ATTACH: dict[str, dict[str, str]] = {
    "visit.output_is_an_error": _(
        "{file} holds an error, not a result: the command that wrote it failed.",
        "{file} 中是一条错误，而不是结果：写出它的命令失败了。",
    ),
    "visit.output_error_was": _("Its error: {error}", "它的错误：{error}"),
}

TEXTS.update(VISIT_ATTACH)

STOPPED: dict[str, dict[str, str]] = {
    "firmware.stopped": _(
        "{serial}: stopped, nothing confirmed. The lock runs {version} (a new image on trial "
        "goes back to it by itself) and remembers what it received; run the same command "
        "again to continue.",
        "{serial}：已停止，未确认任何内容。锁运行 {version}（试运行中的新固件会自行回退到它），"
        "并记住了已收到的部分；再次运行同一命令即可继续。",
    ),
}

TEXTS.update(STOPPED)

# --- the service record's refusals (services/visits.py) ----------------------------------------
VISIT_REFUSALS: dict[str, dict[str, str]] = {
    "visits.needs_fields": _(
        "A visit needs the lock serial, the customer site and the technician.",
        "上门服务需要锁序列号、客户地点和技术员。",
    ),
    "visits.needs_fields.next": _(
        "Give the customer site (on the command line also `--serial` or `--port`, and "
        "`--technician-id`).",
        "请填写客户地点（命令行中还需 `--serial` 或 `--port`，以及 `--technician-id`）。",
    ),
    "visits.none_open": _(
        "No visit id given, and there is no open visit.", "没有给出服务编号，也没有未结束的服务。"
    ),
    "visits.several_open": _(
        "No visit id given, and there is more than one open visit ({count}).",
        "没有给出服务编号，而未结束的服务不止一个（{count} 个）。",
    ),
    "visits.give_id.next": _(
        "Give the visit id (see `safetool visit list`).",
        "请给出服务编号（见 `safetool visit list`）。",
    ),
    "visits.no_such": _(
        "There is no visit {id} on this laptop.", "这台电脑上没有编号为 {id} 的服务。"
    ),
    "visits.closed": _(
        "Visit {id} is closed and signed off; it cannot be changed.",
        "服务 {id} 已结束并经客户签字，不能再修改。",
    ),
    "visits.closed.next": _(
        "Start a new visit for further work on this lock.", "如需对这把锁继续工作，请开始新的服务。"
    ),
    "visits.note_needs_text": _(
        "A note needs text, and a kind: finding, work or note.",
        "备注需要内容和类型：发现、已做工作或备注。",
    ),
    "visits.part_needs_number": _(
        "A part needs its part number and a quantity of at least 1.",
        "零件需要零件号，数量至少为 1。",
    ),
    "visits.part_needs_number.next": _(
        "e.g. `safetool visit add-part --part BAT-4AA-01 --quantity 1`.",
        "例如 `safetool visit add-part --part BAT-4AA-01 --quantity 1`。",
    ),
    "visits.not_audit_output": _(
        "That is not the output of `safetool audit --json`.",
        "这不是 `safetool audit --json` 的输出。",
    ),
    "visits.not_audit_output.next": _(
        "Run `safetool audit --json > audit.json` and attach that file.",
        "运行 `safetool audit --json > audit.json` 并附上该文件。",
    ),
    "visits.needs_signoff": _(
        "Closing a visit needs the customer's sign-off name.", "结束服务需要客户签字确认的姓名。"
    ),
    "visits.needs_signoff.next": _(
        "Give the name of the customer who signs off (`--signed-off-by NAME`).",
        "请填写签字确认的客户姓名（`--signed-off-by NAME`）。",
    ),
    "visits.rating_range": _("The satisfaction rating is 1 to 5.", "满意度评分为 1 到 5。"),
    "visits.not_diag_output": _(
        "The diagnostics file holds no list of checks.", "诊断文件中没有检测列表。"
    ),
    "visits.not_diag_output.next": _(
        "Attach the output of `safetool diag --json`.", "请附上 `safetool diag --json` 的输出。"
    ),
}

TEXTS.update(VISIT_REFUSALS)

# --- the services' remaining refusals (audit read, model data, checks, records, dev PKI) -------
SERVICE_REFUSALS: dict[str, dict[str, str]] = {
    "audit.malformed": _(
        "The lock's audit answer at entry {index} is malformed.",
        "锁在第 {index} 条的审计应答格式错误。",
    ),
    "audit.malformed.meaning": _(
        "The trail could not be read; nothing was added to this laptop's copy.",
        "无法读取记录；这台电脑的副本中没有添加任何内容。",
    ),
    "audit.malformed.next": _(
        "Try again; if it repeats, report the lock's serial to the service centre.",
        "请重试；如反复出现，请把锁的序列号报告给服务中心。",
    ),
    "model_data.invalid": _(
        "The model data file {source} is not valid: {problem}.",
        "型号数据文件 {source} 无效：{problem}。",
    ),
    "model_data.invalid.meaning": _(
        "Diagnostics cannot judge readings without correct limits.",
        "没有正确的限值，诊断无法判断读数。",
    ),
    "model_data.invalid.next": _(
        "Reinstall safetool, or fix the file and run again.",
        "请重新安装 safetool，或修正该文件后再运行。",
    ),
    "model_data.missing": _(
        "safetool has no diagnostic data for lock model {model}.",
        "safetool 没有锁型号 {model} 的诊断数据。",
    ),
    "model_data.missing.meaning": _(
        "Readings can be shown, but not judged against the model's limits.",
        "可以显示读数，但无法按该型号的限值判断。",
    ),
    "model_data.missing.next": _(
        "Update safetool, or ask the service centre for the model's data file.",
        "请更新 safetool，或向服务中心索取该型号的数据文件。",
    ),
    "diag.no_such_check": _("No check called {names}.", "没有名为 {names} 的检测。"),
    "diag.no_such_check.next": _("Checks: {checks}.", "可用的检测：{checks}。"),
    "visits.db_too_new": _(
        "The service-record database is from a newer safetool (schema {found}; this one knows "
        "up to {known}).",
        "服务记录数据库来自更新版本的 safetool（结构版本 {found}；本版本最多支持 {known}）。",
    ),
    "visits.db_too_new.meaning": _("Nothing was changed in it.", "其中没有任何改动。"),
    "visits.db_too_new.next": _("Update safetool on this laptop.", "请更新这台电脑上的 safetool。"),
    "devpki.is_a_file": _("{path} is a file, not a folder.", "{path} 是文件，不是文件夹。"),
    "devpki.is_a_file.meaning": _(
        "dev-pki init writes a folder of keys; nothing was written.",
        "`dev-pki init` 会写出一个密钥文件夹；未写入任何内容。",
    ),
    "devpki.is_a_file.next": _("Name a new folder.", "请指定一个新文件夹。"),
    "devpki.not_empty": _("{path} is not empty.", "{path} 不是空的。"),
    "devpki.not_empty.meaning": _(
        "dev-pki init never overwrites keys.", "`dev-pki init` 绝不会覆盖密钥。"
    ),
    "devpki.not_empty.next": _(
        "Choose a new folder, or delete this one if its keys are no longer needed.",
        "请选择新文件夹；如果其中的密钥已不再需要，也可以删除该文件夹。",
    ),
}

TEXTS.update(SERVICE_REFUSALS)


EMULATE: dict[str, dict[str, str]] = {
    # `safetool emulate`: its options' help (the board's own English is firmware/run.py's
    # HELP; tests/integration/test_zh_cli.py keeps the two alike) and what it says once it listens
    "cli.help.emulate.where": _("where the board listens", "锁板在哪里监听"),
    "cli.help.emulate.tcp": _(
        "serve on TCP (socket://127.0.0.1:PORT; 0 picks a free port) instead of a pty",
        "在 TCP 上提供服务（`socket://127.0.0.1:PORT`；0 表示自动选空闲端口），而不是伪终端",
    ),
    "cli.help.emulate.ble": _(
        "be a BLE peripheral on an emulated radio (Bumble) instead of a pty; the ready line's "
        "hci field is what the tool puts in SAFETOOL_BLE_HCI (docs/ble.md)",
        "作为模拟无线电（`Bumble`）上的 BLE 外设，而不是伪终端；就绪行中的 `hci` 字段"
        "就是工具要放进 `SAFETOOL_BLE_HCI` 的值（见 `docs/ble.md`）",
    ),
    "cli.help.emulate.control_port": _(
        "side-channel port on 127.0.0.1 (default: a free one)",
        "`127.0.0.1` 上的旁路控制端口（默认：自动选空闲端口）",
    ),
    "cli.help.emulate.json": _(
        "print one JSON ready line (port, serial, model, firmware_version, control) and "
        "nothing else",
        "只打印一行 JSON 就绪信息（端口、序列号、型号、固件版本、旁路控制端口），不打印其他内容",
    ),
    "cli.help.emulate.board": _("the board", "锁板"),
    "cli.help.emulate.state": _(
        "keep the board's persistent state here (a restart is a power cycle); default: in "
        "memory only",
        "把锁板的持久状态保存在这里（重启即一次断电重启）；默认：只在内存中",
    ),
    "cli.help.emulate.pki": _(
        "provision the board from a PKI folder (safetool dev-pki init): device key and "
        "certificate, recovery secret, trusted keys",
        "用 PKI 文件夹（`safetool dev-pki init`）配置锁板：设备密钥和证书、恢复密钥、受信任的公钥",
    ),
    "cli.help.emulate.serial": _(
        "the board's serial number (default {default})", "锁板的序列号（默认 {default}）"
    ),
    "cli.help.emulate.model": _(
        "the board's model (default {default})", "锁板的型号（默认 {default}）"
    ),
    "cli.help.emulate.hardware_revision": _(
        "the board's hardware revision (default {default})", "锁板的硬件版本（默认 {default}）"
    ),
    "cli.help.emulate.firmware_version": _(
        "the firmware version it runs (default {default})", "运行的固件版本（默认 {default}）"
    ),
    "cli.help.emulate.bootloader_version": _(
        "its bootloader's version (default {default})", "引导程序的版本（默认 {default}）"
    ),
    "cli.help.emulate.wrong_codes": _(
        "wrong codes within the window that start a penalty lockout (default {default})",
        "时间窗内触发惩罚锁定的错误密码次数（默认 {default}）",
    ),
    "cli.help.emulate.lockout_s": _(
        "penalty lockout length in seconds, at least 90 (default {default})",
        "惩罚锁定时长（秒），至少 90（默认 {default}）",
    ),
    "cli.help.emulate.time_delay_s": _(
        "time delay after a good code, 0 for none (default {default})",
        "正确密码后的延时开启（秒），0 表示不延时（默认 {default}）",
    ),
    "cli.help.emulate.trial_timeout_s": _(
        "seconds a trial firmware image may run unconfirmed before the board reverts it "
        "(default {default})",
        "试运行固件在未确认前可运行的秒数，超时锁板会回退（默认 {default}）",
    ),
    "cli.help.emulate.dual_control": _(
        "two different users' codes are needed to open", "需要两位不同用户的密码才能开启"
    ),
    "cli.help.emulate.link": _("link model", "链路模型"),
    "cli.help.emulate.baud": _(
        "pace bytes to this line rate (10 bits a byte)", "按此线路速率发送字节（每字节 10 位）"
    ),
    "cli.help.emulate.strict_baud": _(
        "pty: a tool at another line rate than --baud (default 115200) reads noise and is not "
        "heard, as on a real cable",
        "伪终端：工具若使用与 `--baud`（默认 115200）不同的速率，会读到乱码且不被听到，"
        "与真实线缆相同",
    ),
    "cli.help.emulate.latency_ms": _(
        "delay each frame by this many milliseconds (default {default})",
        "每帧延迟的毫秒数（默认 {default}）",
    ),
    "cli.help.emulate.ber": _("bit-error rate, both directions", "误码率（双向）"),
    "cli.help.emulate.drop": _("frame-loss rate, both directions", "丢帧率（双向）"),
    "cli.help.emulate.seed": _(
        "seed for bit errors and drops (replayable runs)", "误码和丢帧的随机种子（可重放）"
    ),
    "cli.help.emulate.ble_link": _("BLE link model (with --ble)", "BLE 链路模型（配合 `--ble`）"),
    "cli.help.emulate.ble_mtu": _(
        "largest ATT MTU, 23 to 517 (default {default})",
        "最大 `ATT MTU`，23 到 517（默认 {default}）",
    ),
    "cli.help.emulate.ble_interval_ms": _(
        "connection interval in milliseconds, 7.5 to 4000 (default {default})",
        "连接间隔（毫秒），7.5 到 4000（默认 {default}）",
    ),
    "cli.help.emulate.ble_packets": _(
        "packets each way per connection event, 0 for unpaced (default {default})",
        "每个连接事件每个方向的包数，0 表示不限速（默认 {default}）",
    ),
    "cli.help.emulate.ble_hci_port": _(
        "TCP port of the emulated HCI (default: a free one)",
        "模拟 `HCI` 的 TCP 端口（默认：自动选空闲端口）",
    ),
    "emulate.listening": _(
        "Emulated lock {serial} ({model}, firmware {firmware_version}) is listening on {port}",
        "模拟锁 {serial}（{model}，固件 {firmware_version}）正在 {port} 上监听",
    ),
    "emulate.radio": _(
        "  radio:        export SAFETOOL_BLE_HCI={hci}",
        "  无线电：      `export SAFETOOL_BLE_HCI={hci}`",
    ),
    "emulate.try": _(
        "  try:          safetool info --port {port}",
        "  试一试：      `safetool info --port {port}`",
    ),
    "emulate.side_channel": _(
        "  side channel: {control} (JSON lines; see docs/emulator.md)",
        "  旁路控制：    {control}（每行一个 JSON；见 `docs/emulator.md`）",
    ),
    "emulate.stop": _("Press Ctrl-C to stop.", "按 Ctrl-C 停止。"),
    "emulate.cannot_start": _(
        "The emulated board could not start: {detail}", "模拟锁板无法启动：{detail}"
    ),
    "emulate.cannot_start.next": _(
        "Check the options (`safetool emulate --help`).",
        "请检查选项（`safetool emulate --help`）。",
    ),
}

TEXTS.update(EMULATE)


BUILD: dict[str, dict[str, str]] = {
    # `safetool firmware build`: the manufacturer's side, signing an image with imgtool
    "build.no_imgtool": _(
        "Building images needs MCUboot's imgtool, which is not installed.",
        "构建固件镜像需要 MCUboot 的 `imgtool`，但它没有安装。",
    ),
    "build.no_imgtool.meaning": _(
        "It is part of safetool's 'build' extra, not of the technician's install.",
        "它属于 safetool 的 `build` 附加组件，不在技术员的安装里。",
    ),
    "build.no_imgtool.next": _(
        "Install it with: pip install 'safetool[build]' (or imgtool on PATH).",
        "请安装：`pip install 'safetool[build]'`（或把 `imgtool` 放到 `PATH` 中）。",
    ),
    "build.imgtool_failed_to_run": _(
        "Cannot run MCUboot's imgtool ({reason}).", "无法运行 MCUboot 的 `imgtool`（{reason}）。"
    ),
    "build.imgtool_failed_to_run.next": _(
        "Install it with `pip install imgtool` in safetool's environment.",
        "请在 safetool 的环境中运行 `pip install imgtool` 安装它。",
    ),
    "build.too_large": _(
        "The payload is too large for a {slot}-byte firmware slot ({detail}).",
        "负载超出 {slot} 字节的固件槽（{detail}）。",
    ),
    "build.too_large.meaning": _("The lock could not hold this image.", "锁放不下这个镜像。"),
    "build.too_large.next": _(
        "Make the firmware smaller, or check --model / --slot-size.",
        "请缩小固件，或检查 `--model` / `--slot-size`。",
    ),
    "build.imgtool_refused": _(
        "imgtool could not sign the image: {detail}", "`imgtool` 无法签名该镜像：{detail}"
    ),
    "build.imgtool_refused.next": _(
        "Check the payload, the key (--key) and the slot size.",
        "请检查负载、密钥（`--key`）和固件槽大小。",
    ),
    "build.cannot_write": _("Cannot write {path}: {reason}.", "无法写入 {path}：{reason}。"),
    "build.cannot_write.next": _(
        "Check the output folder exists and is writable.", "请确认输出文件夹存在且可写。"
    ),
    "build.bad_version": _("{text} is not a firmware version.", "{text} 不是有效的固件版本号。"),
    "build.bad_version.next": _(
        "Write the version as 2.4.0+7 (major.minor.revision+build).",
        "请按 `2.4.0+7` 的格式书写版本号（主版本.次版本.修订号+构建号）。",
    ),
    "build.counter_too_big": _(
        "Security counter {counter} does not fit in 32 bits.",
        "安全计数器 {counter} 超出 32 位范围。",
    ),
    "build.counter_too_big.next": _(
        "Give --security-counter between 0 and 4294967295.",
        "请给出 0 到 4294967295 之间的 `--security-counter`。",
    ),
    "build.unknown_channel": _("Unknown release channel {channel}.", "未知的发布渠道 {channel}。"),
    "build.unknown_channel.next": _("Use one of: {channels}.", "请使用以下之一：{channels}。"),
    "build.no_revision": _(
        "Give at least one --hardware-revision (letters such as B, no commas).",
        "请至少给出一个 `--hardware-revision`（字母，如 `B`，不含逗号）。",
    ),
    "build.bad_model": _(
        "The model must be 1 to 64 bytes of text, e.g. SL-100.",
        "型号必须是 1 到 64 字节的文本，例如 `SL-100`。",
    ),
    "build.notes_too_long": _(
        "The release notes are longer than {size} bytes.", "发布说明超过 {size} 字节。"
    ),
    "build.notes_too_long.next": _(
        "Shorten them; link to the full notes instead.", "请缩短说明，改为附上完整说明的链接。"
    ),
    "build.no_payload": _("Cannot read the payload {path}.", "无法读取负载 {path}。"),
    "build.no_payload.next": _("Check its path.", "请检查它的路径。"),
    "build.not_a_key": _(
        "{path} is not an unencrypted Ed25519 private key.", "{path} 不是未加密的 Ed25519 私钥。"
    ),
    "build.signed": _(
        "Signed {path}: version {version}, security counter {counter}, {size} bytes.",
        "已签名 {path}：版本 {version}，安全计数器 {counter}，{size} 字节。",
    ),
    "devpki.created": _(
        "Development PKI created in {path} (private keys: owner-only files).",
        "开发用 PKI 已创建于 {path}（私钥文件仅所有者可读）。",
    ),
    "devpki.technician": _(
        "  technician {id}: {qualifications}  ->  {path}",
        "  技术员 {id}：{qualifications}  ->  {path}",
    ),
    "devpki.technician_revoked": _(
        "  technician {id}: {qualifications} (REVOKED)  ->  {path}",
        "  技术员 {id}：{qualifications}（已吊销）  ->  {path}",
    ),
    "devpki.board": _(
        "  board {serial}  ->  safetool emulate --pki {path}",
        "  锁板 {serial}  ->  `safetool emulate --pki {path}`",
    ),
    "devpki.development_only": _(
        "These keys are for development only; never use them for real locks.",
        "这些密钥仅供开发使用；切勿用于真实的锁。",
    ),
    "build.not_a_key.next": _(
        "Use the manufacturer's firmware key (PKI/manufacturer/firmware.key).",
        "请使用制造商的固件密钥（`PKI/manufacturer/firmware.key`）。",
    ),
}

TEXTS.update(BUILD)


FRONT_END_ERRORS: dict[str, dict[str, str]] = {
    # the command line's own refusals, and an optional part not installed
    "extras.needs": _(
        "This needs safetool's '{extra}' extra ({module} is not installed). Install it with: "
        "pip install 'safetool[{extra}]'",
        "此功能需要 safetool 的 `{extra}` 附加组件（未安装 `{module}`）。请安装："
        "`pip install 'safetool[{extra}]'`",
    ),
    "extras.one_file_needs": _(
        "This needs safetool's '{extra}' part ({module}), which the single-file safetool does "
        "not include. Install it with pip: pip install 'safetool[{extra}]'",
        "此功能需要 safetool 的 `{extra}` 组件（`{module}`），单文件版 safetool 不包含它。"
        "请用 `pip` 安装：`pip install 'safetool[{extra}]'`",
    ),
    "extras.not_in_one_file": _(
        "The single-file safetool does not include {part}. Install safetool with pip for it: "
        "pip install safetool",
        "单文件版 safetool 不包含{part}。如需使用，请用 `pip` 安装 safetool："
        "`pip install safetool`",
    ),
    "extras.part.emulator": _("the emulated lock (emulate, demo)", "模拟锁（`emulate`、`demo`）"),
    "extras.part.hil": _("the HIL suite", "硬件在环测试套件"),
    "audit.since_unreadable": _("Cannot read --since {text}.", "无法识别 `--since` 的值 {text}。"),
    "audit.since_unreadable.next": _(
        "Use a date (2026-11-01), a UTC time (2026-11-01T09:30) or an age (7d, 12h, 30m).",
        "请使用日期（`2026-11-01`）、UTC 时间（`2026-11-01T09:30`）或时长（`7d`、`12h`、`30m`）。",
    ),
    "build.notes_unreadable": _(
        "Cannot read the release notes {path} ({reason}).", "无法读取发布说明 {path}（{reason}）。"
    ),
    "build.not_utf8": _("not UTF-8 text", "不是 UTF-8 文本"),
    "build.notes_unreadable.next": _(
        "Give a UTF-8 text file to --notes-file.", "请给 `--notes-file` 一个 UTF-8 文本文件。"
    ),
    "firmware.no_port": _("No port given.", "没有指定端口。"),
    "firmware.no_port.next": _(
        "Pass --port PORT (repeat it for several locks).",
        "请用 `--port PORT` 指定（多把锁可重复该选项）。",
    ),
    "firmware.no_terminal": _(
        "The install needs a confirmation, and there is no terminal to ask in.",
        "安装需要确认，但没有可以询问的终端。",
    ),
    "firmware.no_terminal.next": _(
        "Add --yes to confirm on the command line.", "请加上 `--yes`，在命令行中确认。"
    ),
    "visit.which_lock": _(
        "Which lock? No --serial and no --port given.",
        "是哪把锁？既没有指定 `--serial`，也没有指定 `--port`。",
    ),
    "visit.which_lock.next": _(
        "Pass --port to read it from the lock, or --serial.",
        "请用 `--port` 从锁上读取，或用 `--serial` 指定。",
    ),
    "report_language.unknown": _("No report language {language}.", "没有 {language} 语言的报告。"),
    "report_language.unknown.next": _("Use one of: {languages}.", "请使用以下之一：{languages}。"),
}

TEXTS.update(FRONT_END_ERRORS)

from safetool.messages.authority_texts import AUTHORITY, AUTHORITY_COMMANDS  # noqa: E402

TEXTS.update(AUTHORITY)
TEXTS.update(AUTHORITY_COMMANDS)

from safetool.messages.desk_texts import DESK  # noqa: E402

TEXTS.update(DESK)
