"""The hotline desk's words (``desk.`` keys): its pages, its logins and its refusals, as an
operator at the 24-hour service centre reads them. Part of the catalogue, kept apart."""

from __future__ import annotations


def _(en: str, zh_cn: str) -> dict[str, str]:
    return {"en": en, "zh_CN": zh_cn}


DESK: dict[str, dict[str, str]] = {
    "desk.title": _("Hotline desk", "热线服务台"),
    "desk.back": _("Back to the desk", "返回服务台"),
    "desk.logout": _("Log out", "退出登录"),
    "desk.logged_in_as": _("{name} ({role})", "{name}（{role}）"),
    "desk.role.operator": _("operator", "接线员"),
    "desk.role.supervisor": _("supervisor", "主管"),
    "desk.role.administrator": _("administrator", "管理员"),
    "desk.role": _(
        "Only an account with the role {role} may do this.", "只有{role}角色的账户才能执行此操作。"
    ),
    "desk.role.next": _("Ask a colleague with that role.", "请联系具有该角色的同事。"),
    "desk.csrf": _(
        "The form did not come from this desk's own page (its security token is missing or "
        "wrong): nothing was done.",
        "该表单并非来自本服务台的页面（安全令牌缺失或错误）：未执行任何操作。",
    ),
    "desk.csrf.meaning": _(
        "Another site may have tried to act in your name.", "可能有其他网站试图以您的名义操作。"
    ),
    "desk.csrf.next": _(
        "Open the page again from the desk and send the form from there.",
        "请从服务台重新打开该页面，再从那里提交表单。",
    ),
    # --- logging in ------------------------------------------------------------------------
    "desk.login.title": _("Log in", "登录"),
    "desk.login.username": _("Account", "账户"),
    "desk.login.password": _("Password", "密码"),
    "desk.login.submit": _("Log in", "登录"),
    "desk.login.code": _(
        "One-time code (if your account has a second factor)",
        "一次性验证码（如果您的账户启用了双重验证）",
    ),
    "desk.login.refused": _(
        "Wrong account, password or one-time code.", "账户、密码或一次性验证码错误。"
    ),
    "desk.login.refused.next": _(
        "Type them again; after 5 failures in a row the account is locked for 15 minutes.",
        "请重新输入；连续失败 5 次后，该账户将被锁定 15 分钟。",
    ),
    "desk.login.locked": _(
        "This account is locked for {minutes} more minutes after repeated failed logins.",
        "由于多次登录失败，该账户还将锁定 {minutes} 分钟。",
    ),
    "desk.login.locked.next": _("Wait, or ask an administrator.", "请稍候，或联系管理员。"),
    "desk.login.needed": _("Log in first.", "请先登录。"),
    "desk.login.needed.next": _("Open the desk's login page.", "请打开服务台的登录页面。"),
    # --- the phone-in desk -------------------------------------------------------------------
    "desk.phone.title": _("Phone-in recovery", "电话恢复"),
    "desk.phone.serial": _("Lock serial", "锁序列号"),
    "desk.phone.technician": _("Technician ID", "技术员编号"),
    "desk.phone.challenge": _("Challenge digits", "挑战码"),
    "desk.phone.counter": _("Recovery counter", "恢复计数器"),
    "desk.phone.submit": _("Issue the response", "签发响应码"),
    "desk.phone.issued": _(
        "Recovery {recovery}: read this response back to {technician} for lock {serial}",
        "恢复 {recovery}：请向 {technician} 读出锁 {serial} 的响应码",
    ),
    "desk.phone.valid_until": _("Valid until {time}.", "有效期至 {time}。"),
    "desk.phone.refused": _("Not issued.", "未签发。"),
    "desk.card.title": _("Technician", "技术员"),
    "desk.lookup.button": _("Look up first", "先查询"),
    "desk.digits.misheard": _(
        "The check digit does not agree: a digit was misheard. Ask for them again.",
        "校验位不符：有数字听错了。请对方重新读一遍。",
    ),
    "desk.digits.not_digits": _("Digits only, please.", "请只输入数字。"),
    "desk.digits.too_long": _("That is more than {length} digits.", "超过了 {length} 位数字。"),
    "desk.lookup.would_refuse": _("An authorisation would be refused:", "签发授权将被拒绝："),
    "desk.lookup.recent_technician": _(
        "The technician's recent recoveries", "该技术员最近的恢复记录"
    ),
    "desk.lookup.recent_lock": _("The lock's recent recoveries", "该锁最近的恢复记录"),
    "desk.lookup.left": _("{count} more may be issued this hour.", "本小时内还可签发 {count} 次。"),
    "desk.card.region": _("Region", "地区"),
    "desk.card.qualifications": _("Qualifications", "资质"),
    "desk.card.valid": _("certificate valid until {time}", "证书有效期至 {time}"),
    # --- navigation, seals and the ledger ------------------------------------------------------
    "desk.nav.phone": _("Phone-in", "电话恢复"),
    "desk.nav.seals": _("Close seals", "关闭封码"),
    "desk.nav.ledger": _("Ledger", "台账"),
    "desk.nav.accounts": _("Accounts", "账户"),
    "desk.nav.technicians": _("Technicians", "技术员"),
    "desk.nav.locks": _("Locks", "锁"),
    "desk.locks.title": _("The lock register", "锁登记表"),
    "desk.locks.contract": _("Service contract", "服务合同"),
    "desk.locks.submit": _("Register the lock", "登记该锁"),
    "desk.locks.added": _(
        "Lock {serial} is registered in {region}: only technicians of {region}, and those on "
        "its service contract, get authorisations for it.",
        "锁 {serial} 已登记在 {region}：只有 {region} 的技术员以及其服务合同中的技术员"
        "能获得该锁的授权。",
    ),
    "desk.contracts.title": _("Technicians on service contracts", "服务合同中的技术员"),
    "desk.contracts.explain": _(
        "A technician on a contract gets authorisations for every lock registered under it, "
        "whatever the lock's region.",
        "合同中的技术员可以获得该合同下所有已登记锁的授权，不论锁在哪个地区。",
    ),
    "desk.contracts.technician": _("Technician ID", "技术员编号"),
    "desk.contracts.submit": _("Put on the contract", "加入合同"),
    "desk.contracts.remove": _("Take off", "移出"),
    "desk.contracts.assigned": _(
        "{technician} is now on contract {contract}.", "{technician} 已加入合同 {contract}。"
    ),
    "desk.contracts.removed": _(
        "{technician} is no longer on contract {contract}.",
        "{technician} 已移出合同 {contract}。",
    ),
    "desk.contracts.added_by": _("Added by", "添加人"),
    "desk.technicians.title": _("Technicians", "技术员"),
    "desk.technicians.enrol": _("Enrol a technician", "注册技术员"),
    "desk.technicians.revocation_list": _(
        "The revocation list locks are given: issued {issued}, current until {next_update} "
        "(signed afresh before then), {count} certificates revoked.",
        "交给锁的吊销列表：{issued} 签发，有效至 {next_update}（到期前会重新签发），"
        "已吊销 {count} 个证书。",
    ),
    "desk.technicians.request": _(
        "The enrolment request (the JSON file the technician's `safetool technician request` made)",
        "注册申请（技术员用 `safetool technician request` 生成的 `JSON` 文件内容）",
    ),
    "desk.technicians.validity_days": _("Certificate valid for (days)", "证书有效期（天）"),
    "desk.technicians.validity": _(
        "A certificate is valid for 1 to 1095 days.", "证书有效期须为 1 到 1095 天。"
    ),
    "desk.technicians.submit": _("Enrol and sign the certificate", "注册并签发证书"),
    "desk.technicians.enrolled": _(
        "{technician} is enrolled (certificate {certificate}).",
        "{technician} 已注册（证书 {certificate}）。",
    ),
    "desk.technicians.download": _("Download technician.cert for them", "下载其 `technician.cert`"),
    "desk.technicians.status": _("Status", "状态"),
    "desk.technicians.status.active": _("active", "有效"),
    "desk.technicians.status.suspended": _("suspended", "已暂停"),
    "desk.technicians.status.revoked": _("revoked", "已吊销"),
    "desk.technicians.status.files": _("from the PKI folder", "来自 PKI 文件夹"),
    "desk.technicians.suspend": _("Suspend", "暂停"),
    "desk.technicians.reinstate": _("Reinstate", "恢复"),
    "desk.technicians.revoke": _("Revoke", "吊销"),
    "desk.seal.title": _("Verify a close seal", "核验关闭封码"),
    "desk.seal.recovery": _("Recovery number (the lock's)", "恢复编号（锁上显示的）"),
    "desk.seal.digits": _("Close seal digits", "关闭封码"),
    "desk.seal.submit": _("Verify and record", "核验并记录"),
    "desk.seal.closed": _(
        "Recovery {recovery} of lock {serial} is closed: the seal is right.",
        "锁 {serial} 的恢复 {recovery} 已关闭：封码正确。",
    ),
    "desk.seal.refused": _("Not recorded.", "未记录。"),
    "desk.seal.waiting": _(
        "Waiting for a close seal (call back): {count}", "等待关闭封码（需回访）：{count} 条"
    ),
    "desk.ledger.title": _("Ledger", "台账"),
    "desk.ledger.state": _("State", "状态"),
    "desk.ledger.kind": _("Kind", "类型"),
    "desk.ledger.issued": _("Issued", "签发时间"),
    "desk.ledger.since": _("Issued from", "签发起始"),
    "desk.ledger.until": _("Issued before", "签发截止"),
    "desk.ledger.search": _("Search", "查询"),
    "desk.ledger.found": _("{count} recoveries", "共 {count} 条恢复记录"),
    "desk.ledger.export": _("Export as CSV (supervisors)", "导出为 `CSV`（主管）"),
    "desk.ledger.per_day": _("Recoveries per day", "每日恢复次数"),
    "desk.ledger.per_region": _("Recoveries per region", "各地区恢复次数"),
    # --- accounts ------------------------------------------------------------------------------
    "desk.refused.title": _("Refused", "已拒绝"),
    "desk.operators.title": _("Accounts", "账户"),
    "desk.operators.name": _("Name", "姓名"),
    "desk.operators.role": _("Role", "角色"),
    "desk.account.role": _(
        "There is no role {role}: operator, supervisor or administrator.",
        "没有 {role} 这一角色：可选接线员（`operator`）、主管（`supervisor`）"
        "或管理员（`administrator`）。",
    ),
    "desk.account.username": _(
        "An account name has 1 to 64 printable characters and no spaces.",
        "账户名须为 1 到 64 个可打印字符，且不含空格。",
    ),
    "desk.account.password_short": _(
        "A password needs at least {length} characters.", "密码至少需要 {length} 个字符。"
    ),
    "desk.account.exists": _(
        "An account named {username} exists already.", "名为 {username} 的账户已经存在。"
    ),
    "desk.account.unknown": _("There is no account {username}.", "没有名为 {username} 的账户。"),
    "desk.account.second_factor": _(
        "Account {username} now needs a one-time code at login. Add it to the operator's "
        "authenticator app with this link (shown once): {uri}",
        "账户 {username} 登录时现在需要一次性验证码。请用以下链接把它添加到接线员的验证器应用中"
        "（只显示这一次）：{uri}",
    ),
    "cli.help.authority.operator_totp": _(
        "give a desk account a second factor (a one-time code from an authenticator app)",
        "为服务台账户启用双重验证（验证器应用生成的一次性验证码）",
    ),
    "desk.account.created": _(
        "Account {username} created ({role}).", "已创建账户 {username}（{role}）。"
    ),
    # --- the administrator's command ------------------------------------------------------------
    "cli.help.authority.operator_add": _(
        "add a hotline desk account (operator, supervisor or administrator)",
        "添加热线服务台账户（接线员、主管或管理员）",
    ),
    "cli.help.authority.operator_add.description": _(
        "Creates an account for the web desk (`safetool authority serve`, then /desk/). The "
        "password is typed twice, or read from ${variable} in scripts; only its Argon2 hash is "
        "kept.",
        "为网页服务台创建账户（运行 `safetool authority serve` 后打开 `/desk/`）。密码需输入两次，"
        "脚本中可从 ${variable} 读取；只保存其 `Argon2` 哈希值。",
    ),
    "cli.help.authority.registered_locks_only": _(
        "issue only for locks in the lock register (once the register is complete)",
        "只为锁登记表中的锁签发授权（在登记表完整之后使用）",
    ),
    "cli.help.authority.revocations_valid_days": _(
        "days each published revocation list stays current; locks refuse privileged work on a "
        "list past it (default: {default})",
        "每份发布的吊销列表保持有效的天数；锁的列表过期后会拒绝需要权限的操作（默认：{default}）",
    ),
    "cli.help.authority.account": _("the account's login name", "账户的登录名"),
    "cli.help.authority.account_name": _(
        "the person's name, as the desk shows it", "使用者姓名，显示在服务台上"
    ),
    "cli.help.authority.role": _(
        "what the account may do (default: operator)", "该账户的权限（默认：接线员）"
    ),
    "cli.authority.password_prompt": _("Password: ", "密码："),
    "cli.authority.password_again": _("Password again: ", "再次输入密码："),
    "cli.authority.passwords_differ": _(
        "The two passwords differ; no account was created.", "两次输入的密码不一致；未创建账户。"
    ),
    "cli.authority.password_needed": _(
        "No terminal to type a password in, and ${variable} is not set.",
        "没有可输入密码的终端，且未设置 ${variable}。",
    ),
    "cli.authority.password_needed.next": _(
        "Run it in a terminal, or set ${variable}.", "请在终端中运行，或设置 ${variable}。"
    ),
    # --- the technician's side of enrolment -------------------------------------------------
    "cli.command.technician": _(
        "a technician's enrolment request, and the current revocation list from the centre",
        "技术员注册申请，以及从服务中心取得当前吊销列表",
    ),
    "cli.help.technician.update": _(
        "fetch the service centre's current revocation list for the locks you visit",
        "从服务中心取得当前吊销列表，带给您上门的锁",
    ),
    "cli.help.technician.update.description": _(
        "Asks the service authority for its current signed revocation list and keeps it in your "
        "technician folder if it is newer than the one there. Every lock you connect to is given "
        "it as the session opens; a lock whose own list is past its next update refuses "
        "privileged work until it gets a current one, so run this before working offline.",
        "向服务中心索取当前签名的吊销列表，如果比技术员文件夹中的更新，就保存下来。"
        "每次与锁建立会话时都会把它交给锁；锁自己的列表过了下次更新时间后，在得到当前列表之前"
        "会拒绝需要权限的操作，所以在离线工作之前请先运行此命令。",
    ),
    "cli.help.technician.authority": _(
        "the service authority's address (default: $SAFETOOL_AUTHORITY)",
        "服务中心地址（默认：`$SAFETOOL_AUTHORITY`）",
    ),
    "technician.revocations.kept": _(
        "Revocation list of {issued} kept ({count} revoked; current until {next_update}).",
        "已保存 {issued} 签发的吊销列表（吊销 {count} 个；有效至 {next_update}）。",
    ),
    "technician.revocations.same": _(
        "Your revocation list of {issued} is the current one ({count} revoked; current until "
        "{next_update}).",
        "您的吊销列表（{issued} 签发）就是当前列表（吊销 {count} 个；有效至 {next_update}）。",
    ),
    "technician.no_authority": _("No service authority given.", "没有指定服务中心。"),
    "technician.no_authority.next": _(
        "Give its address with --authority URL or set $SAFETOOL_AUTHORITY.",
        "请用 `--authority URL` 指定地址，或设置 `$SAFETOOL_AUTHORITY`。",
    ),
    "cli.help.technician.request": _(
        "make a key pair and an enrolment request for the service centre",
        "生成密钥对和提交给服务中心的注册申请",
    ),
    "cli.help.technician.request.description": _(
        "Writes DIR/technician.key (readable by you only; it never leaves this laptop) and "
        "DIR/enrolment-request.json, which you send to the service centre. A supervisor enrols "
        "it at the hotline desk and gives you technician.cert to put beside the key.",
        "生成 `DIR/technician.key`（仅您可读；它永远不会离开这台电脑）和 "
        "`DIR/enrolment-request.json`，请把后者发送给服务中心。主管在热线服务台完成注册后，"
        "会把 `technician.cert` 交给您，请将其放在密钥旁边。",
    ),
    "cli.help.technician.id": _("your technician ID, e.g. T-2001", "您的技术员编号，例如 T-2001"),
    "cli.help.technician.name": _("your name, as the desk shows it", "您的姓名，显示在服务台上"),
    "cli.help.technician.region": _("your region", "您所在的地区"),
    "cli.help.technician.folder": _(
        "the folder for your key and request", "存放密钥和申请的文件夹"
    ),
    "enrolment.key_exists": _(
        "{path} exists already: it is not overwritten.", "{path} 已经存在：不会覆盖。"
    ),
    "enrolment.key_exists.next": _(
        "Choose another --folder, or use the request made with that key.",
        "请换一个 `--folder`，或使用用该密钥生成的申请。",
    ),
    "enrolment.requested": _(
        "Wrote {path}. Send it to the service centre; put the technician.cert you get back in "
        "{folder}.",
        "已生成 {path}。请将其发送给服务中心；收到 `technician.cert` 后请放入 {folder}。",
    ),
}
