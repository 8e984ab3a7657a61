"""The service authority's words: its refusals, its configuration errors and its ledger's
states, as a technician, an operator or a supervisor reads them (``authority.``,
``ledger.`` and ``cli.authority.`` keys). Part of the catalogue, kept apart for its size."""

from __future__ import annotations


def _(en: str, zh_cn: str) -> dict[str, str]:
    return {"en": en, "zh_CN": zh_cn}


AUTHORITY: dict[str, dict[str, str]] = {
    # --- what did not happen -------------------------------------------------------------
    "authority.nothing_issued": _(
        "No authorisation was issued; the lock is unchanged.", "未签发任何授权；锁没有任何变化。"
    ),
    "authority.nothing_issued_or_recorded": _(
        "Nothing was issued or recorded.", "未签发也未记录任何内容。"
    ),
    "authority.nothing_recorded": _("Nothing was recorded.", "未记录任何内容。"),
    "authority.nothing_changed": _("Nothing was changed.", "没有任何改动。"),
    "authority.http_error": _(
        "The service authority answered HTTP {status}.", "服务中心返回了 `HTTP {status}`。"
    ),
    # --- digits read over the phone ------------------------------------------------------
    "authority.digits.challenge.not_digits": _(
        "The challenge {text} must be digits only.", "挑战码 {text} 只能包含数字。"
    ),
    "authority.digits.seal.not_digits": _(
        "The close seal {text} must be digits only.", "关闭封码 {text} 只能包含数字。"
    ),
    "authority.digits.challenge.wrong_length": _(
        "The challenge has {count} digits; it must have {length} ({without_check} and a check "
        "digit).",
        "挑战码有 {count} 位；应为 {length} 位（{without_check} 位数字加一位校验位）。",
    ),
    "authority.digits.seal.wrong_length": _(
        "The close seal has {count} digits; it must have {length} ({without_check} and a check "
        "digit).",
        "关闭封码有 {count} 位；应为 {length} 位（{without_check} 位数字加一位校验位）。",
    ),
    "authority.digits.group_missed": _(
        "A group was probably missed or read twice; nothing was issued or recorded.",
        "可能漏读或重读了一组数字；未签发也未记录任何内容。",
    ),
    "authority.digits.challenge.misheard": _(
        "The challenge {digits} does not pass its check digit: one digit was misheard or "
        "mistyped, or two neighbours were swapped.",
        "挑战码 {digits} 未通过校验位：有一位数字听错或输错，或相邻两位颠倒了。",
    ),
    "authority.digits.seal.misheard": _(
        "The close seal {digits} does not pass its check digit: one digit was misheard or "
        "mistyped, or two neighbours were swapped.",
        "关闭封码 {digits} 未通过校验位：有一位数字听错或输错，或相邻两位颠倒了。",
    ),
    "authority.digits.challenge.unchanged": _(
        "Nothing was issued or recorded, and the lock has not counted a wrong try.",
        "未签发也未记录任何内容，锁也没有计入一次错误尝试。",
    ),
    "authority.digits.seal.unchanged": _(
        "Nothing was recorded; the recovery stays open.", "未记录任何内容；此次恢复仍未结束。"
    ),
    "authority.digits.challenge.again": _(
        "Ask the technician to read the challenge from the lock again, group by group.",
        "请技术员按组重新读一遍锁上显示的挑战码。",
    ),
    "authority.digits.seal.again": _(
        "Ask the technician to read the seal from the lock again, group by group.",
        "请技术员按组重新读一遍锁上显示的关闭封码。",
    ),
    "authority.name.serial.invalid": _(
        "The lock serial {text} is not valid: use 1 to 64 letters, digits, '.', '_' or '-'.",
        "锁序列号 {text} 无效：只能使用 1 到 64 个字母、数字、`.`、`_` 或 `-`。",
    ),
    "authority.name.technician.invalid": _(
        "The technician id {text} is not valid: use 1 to 64 letters, digits, '.', '_' or '-'.",
        "技术员编号 {text} 无效：只能使用 1 到 64 个字母、数字、`.`、`_` 或 `-`。",
    ),
    "authority.name.serial.again": _(
        "Check the lock serial and send it again.", "请核对锁序列号后重新提交。"
    ),
    "authority.name.technician.again": _(
        "Check the technician id and send it again.", "请核对技术员编号后重新提交。"
    ),
    "authority.counter.out_of_range": _(
        "The recovery counter {counter} is out of range (0 to {maximum}).",
        "恢复计数 {counter} 超出范围（0 到 {maximum}）。",
    ),
    "authority.counter.read_again": _(
        "Read the recovery counter from safetool's screen again.",
        "请重新读取 safetool 屏幕上显示的恢复计数。",
    ),
    "authority.counter.missing": _("The lock's recovery counter is missing.", "缺少锁的恢复计数。"),
    "authority.counter.missing.meaning": _(
        "The response is bound to the challenge and its counter; nothing was issued or recorded.",
        "应答码与挑战码及其恢复计数绑定；未签发也未记录任何内容。",
    ),
    "authority.counter.missing.next": _(
        "Ask the technician for the recovery counter safetool shows next to the challenge.",
        "请技术员报出 safetool 在挑战码旁显示的恢复计数。",
    ),
    "authority.challenge.not_its_nonce": _(
        "The challenge digits do not belong to the challenge nonce.",
        "挑战码数字与挑战随机数不对应。",
    ),
    "authority.challenge.not_its_nonce.meaning": _(
        "The request does not describe one challenge of one lock; nothing was issued.",
        "该请求描述的不是某一把锁的某一个挑战码；未签发任何授权。",
    ),
    "authority.challenge.not_its_nonce.next": _(
        "Ask the lock for a new recovery challenge and send it unchanged.",
        "请向锁申请新的恢复挑战码，并原样提交。",
    ),
    "authority.serial.length": _(
        "The lock serial must be 1 to 255 bytes.", "锁序列号必须为 1 到 255 字节。"
    ),
    "authority.serial.read": _(
        "Read the serial from `safetool info`.", "请从 `safetool info` 中读取序列号。"
    ),
    # --- the technician's certificate ----------------------------------------------------
    "authority.certificate.not_technician": _(
        "Certificate {certificate} is not a technician certificate.",
        "证书 {certificate} 不是技术员证书。",
    ),
    "authority.certificate.not_technician.next": _(
        "Send the technician's own certificate (technician.cert).",
        "请提交技术员本人的证书（`technician.cert`）。",
    ),
    "authority.certificate.foreign": _(
        "The certificate of {technician} was not issued by this service authority.",
        "{technician} 的证书不是本服务中心签发的。",
    ),
    "authority.certificate.foreign.next": _(
        "Use a certificate issued by this service centre, or ask it for one.",
        "请使用本服务中心签发的证书，或向服务中心申请。",
    ),
    "authority.certificate.bad_signature": _(
        "The certificate of {technician} has a signature that does not verify.",
        "{technician} 的证书签名验证失败。",
    ),
    "authority.certificate.bad_signature.next": _(
        "The certificate file is damaged or forged; reinstall the technician's certificate.",
        "证书文件已损坏或被伪造；请重新安装技术员证书。",
    ),
    "authority.certificate.expired": _(
        "The certificate of {technician} (certificate {certificate}) expired on {when}.",
        "{technician} 的证书（证书 {certificate}）已于 {when} 过期。",
    ),
    "authority.certificate.expired.next": _(
        "Ask the service centre to renew the technician's certificate.",
        "请服务中心为技术员续发证书。",
    ),
    "authority.certificate.not_yet_valid": _(
        "The certificate of {technician} (certificate {certificate}) is not valid before {when}.",
        "{technician} 的证书（证书 {certificate}）在 {when} 之前无效。",
    ),
    "authority.certificate.not_yet_valid.next": _(
        "Check the clock of this computer, or wait until the certificate is valid.",
        "请检查这台电脑的时钟，或等到证书生效。",
    ),
    "authority.scope.region": _(
        "{technician} works in {technician_region}; lock {serial} is registered in {region}: "
        "no authorisation for it goes to them.",
        "{technician} 负责 {technician_region}；锁 {serial} 登记在 {region}："
        "不向其签发该锁的授权。",
    ),
    "authority.scope.region.next": _(
        "Send a technician of {region}, or correct the lock's region in the lock register.",
        "请派 {region} 的技术员，或在锁登记表中更正该锁的地区。",
    ),
    "authority.scope.contract": _(
        "{technician} works in {technician_region} and is not on service contract {contract}; "
        "lock {serial} is registered in {region} under that contract: no authorisation for it "
        "goes to them.",
        "{technician} 负责 {technician_region}，且不在服务合同 {contract} 中；锁 {serial} "
        "登记在 {region}，属于该合同：不向其签发该锁的授权。",
    ),
    "authority.scope.contract.next": _(
        "Send a technician of {region} or one on contract {contract}, or a supervisor puts "
        "this technician on the contract (desk, Locks page).",
        "请派 {region} 的技术员或合同 {contract} 的技术员，或由主管把该技术员加入此合同"
        "（服务台“锁”页面）。",
    ),
    "authority.contracts.contract_needed": _("Name the service contract.", "请填写服务合同。"),
    "authority.contracts.exists": _(
        "{technician} is on contract {contract} already.", "{technician} 已在合同 {contract} 中。"
    ),
    "authority.scope.unregistered": _(
        "Lock {serial} is not in the service centre's lock register.",
        "锁 {serial} 不在服务中心的锁登记表中。",
    ),
    "authority.scope.unregistered.next": _(
        "A supervisor adds it (its region and contract) on the desk's Locks page.",
        "请主管在服务台的“锁”页面登记该锁（地区和服务合同）。",
    ),
    "authority.locks.region_needed": _(
        "A registered lock needs its region.", "登记的锁必须填写地区。"
    ),
    "authority.locks.exists": _("Lock {serial} is registered already.", "锁 {serial} 已经登记。"),
    "authority.certificate.suspended": _(
        "{technician} is suspended at the service centre: no authorisation is issued to them.",
        "{technician} 已被服务中心暂停：不会向其签发任何授权。",
    ),
    "authority.certificate.suspended.next": _(
        "A supervisor can reinstate them on the desk's Technicians page.",
        "主管可在服务台的“技术员”页面恢复其资格。",
    ),
    "authority.enrolment.not_a_request": _(
        "That is not an enrolment request (a JSON object made by `safetool technician request`).",
        "这不是注册申请（应为 `safetool technician request` 生成的 `JSON` 对象）。",
    ),
    "authority.enrolment.bad_proof": _(
        "The enrolment request is damaged or was not signed with the key it names.",
        "注册申请已损坏，或并非用其中所列的密钥签名。",
    ),
    "authority.enrolment.bad_proof.next": _(
        "Ask the technician to make the request again with `safetool technician request`.",
        "请技术员用 `safetool technician request` 重新生成申请。",
    ),
    "authority.enrolment.taken": _(
        "A technician {technician} is registered already.", "技术员 {technician} 已经注册。"
    ),
    "authority.enrolment.revoked_for_good": _(
        "{technician} was revoked: a revocation is not undone. Enrol them again under a new ID.",
        "{technician} 已被吊销：吊销不可撤销。请用新的编号重新注册。",
    ),
    "authority.certificate.revoked": _(
        "The certificate of {technician} (certificate {certificate}) has been revoked.",
        "{technician} 的证书（证书 {certificate}）已被吊销。",
    ),
    "authority.certificate.revoked.next": _(
        "This technician may not recover locks; send another certified technician.",
        "该技术员不得执行恢复；请派另一位持证技术员。",
    ),
    "authority.certificate.unqualified": _(
        "{technician} (certificate {certificate}) is not qualified to {missing}.",
        "{technician}（证书 {certificate}）不具备以下资质：{missing}。",
    ),
    "authority.certificate.unqualified.next": _(
        "Send a technician with the recover qualification, or have the certificate reissued.",
        "请派具备恢复资质的技术员，或重新签发证书。",
    ),
    "authority.certificate.unknown_technician": _(
        "Technician {technician} is not registered with this service authority.",
        "技术员 {technician} 未在本服务中心登记。",
    ),
    "authority.certificate.unknown_technician.next": _(
        "Check the technician id on the technician's card and read it again.",
        "请核对技术员证件上的编号后重新读一遍。",
    ),
    # --- requests that cannot be read ----------------------------------------------------
    "authority.request.unreadable": _(
        "The request could not be read; nothing was issued or recorded.",
        "无法读取该请求；未签发也未记录任何内容。",
    ),
    "authority.request.unreadable.next": _(
        "Update safetool on both sides, or fix the request and send it again.",
        "请更新双方的 safetool，或修正请求后重新提交。",
    ),
    "authority.request.not_object": _(
        "The request must be a JSON object.", "请求必须是一个 JSON 对象。"
    ),
    "authority.request.send_object": _("Send a JSON object.", "请提交一个 JSON 对象。"),
    "authority.request.not_json": _("The request body is not JSON.", "请求正文不是 JSON。"),
    "authority.request.too_large": _(
        "The request body is larger than {size} bytes.", "请求正文超过 {size} 字节。"
    ),
    "authority.request.too_large.next": _(
        "Send only the fields the API describes.", "只提交接口文档中列出的字段。"
    ),
    "authority.request.not_string": _(
        "The field '{field}' must be text.", "字段 `{field}` 必须是文本。"
    ),
    "authority.request.too_long": _(
        "The field '{field}' is longer than {length} characters.",
        "字段 `{field}` 超过 {length} 个字符。",
    ),
    "authority.request.not_text": _(
        "The field '{field}' is not valid text.", "字段 `{field}` 不是有效的文本。"
    ),
    "authority.request.not_integer": _(
        "The field '{field}' must be a whole number.", "字段 `{field}` 必须是整数。"
    ),
    "authority.request.out_of_range": _(
        "The field '{field}' must be between 0 and {maximum}.",
        "字段 `{field}` 必须在 0 到 {maximum} 之间。",
    ),
    "authority.request.not_hex": _(
        "The field '{field}' is not hexadecimal.", "字段 `{field}` 不是十六进制数。"
    ),
    "authority.request.wrong_size": _(
        "The field '{field}' must be {size} bytes, not {found}.",
        "字段 `{field}` 应为 {size} 字节，而不是 {found} 字节。",
    ),
    "authority.request.not_certificate": _(
        "The technician certificate cannot be read ({detail}).",
        "无法读取技术员证书（{detail}）。",
    ),
    "authority.request.bad_result": _(
        "The result must be one of {results}.", "结果必须是以下之一：{results}。"
    ),
    "authority.request.bad_detail": _(
        "The detail must be printable text of at most {length} characters.",
        "说明必须是不超过 {length} 个字符的可打印文本。",
    ),
    "authority.request.bad_authorisation": _(
        "The service authority sent a malformed authorisation ({detail}).",
        "服务中心发来的授权格式错误（{detail}）。",
    ),
    "authority.request.other_recovery": _(
        "The authorisation names another recovery than the answer.",
        "授权中的恢复编号与应答不一致。",
    ),
    "authority.request.recovery_out_of_range": _(
        "Recovery {recovery} is out of range.", "恢复编号 {recovery} 超出范围。"
    ),
    "authority.request.format": _(
        "The format {text} is neither csv nor json: pick one.",
        "格式 {text} 既不是 `csv` 也不是 `json`：请选择其一。",
    ),
    "authority.request.bad_signature": _(
        "The request signature does not verify with the certificate of {technician}.",
        "请求签名无法用 {technician} 的证书验证。",
    ),
    "authority.request.bad_signature.meaning": _(
        "The request was not signed by that technician's key; nothing was issued.",
        "该请求不是用这位技术员的密钥签名的；未签发任何授权。",
    ),
    "authority.request.bad_signature.next": _(
        "Sign with the technician key that belongs to this certificate (technician.key next "
        "to technician.cert).",
        "请用与该证书配套的技术员密钥签名（与 `technician.cert` 放在一起的 `technician.key`）。",
    ),
    "authority.stale.ahead": _(
        "The request was signed at {when}, {seconds} s ahead of the service authority's clock "
        "(at most {allowed} s allowed).",
        "请求签名时间为 {when}，比服务中心的时钟快 {seconds} 秒（最多允许 {allowed} 秒）。",
    ),
    "authority.stale.behind": _(
        "The request was signed at {when}, {seconds} s behind the service authority's clock "
        "(at most {allowed} s allowed).",
        "请求签名时间为 {when}，比服务中心的时钟慢 {seconds} 秒（最多允许 {allowed} 秒）。",
    ),
    "authority.stale.meaning": _(
        "Nothing was issued: an old request could be a replay.",
        "未签发任何授权：过时的请求可能是重放攻击。",
    ),
    "authority.stale.next": _(
        "Check the date, time and time zone of the technician's computer, then ask again.",
        "请检查技术员电脑的日期、时间和时区，然后重新申请。",
    ),
    # --- the ledger ----------------------------------------------------------------------
    "authority.rate.technician": _(
        "Technician {technician} has had {count} authorisations in the last {minutes} minutes "
        "(the limit is {limit}).",
        "技术员 {technician} 在最近 {minutes} 分钟内已获得 {count} 次授权（上限为 {limit} 次）。",
    ),
    "authority.rate.lock": _(
        "Lock {lock} has had {count} authorisations in the last {minutes} minutes (the limit "
        "is {limit}).",
        "锁 {lock} 在最近 {minutes} 分钟内已获得 {count} 次授权（上限为 {limit} 次）。",
    ),
    "authority.rate.meaning": _(
        "Nothing was issued; the limit protects locks against abuse of stolen technician "
        "credentials.",
        "未签发任何授权；此上限防止被盗的技术员凭据被滥用。",
    ),
    "authority.rate.next": _(
        "Try again in {seconds} s, or call the hotline if this lock needs more attempts.",
        "请在 {seconds} 秒后重试；如果这把锁需要更多次尝试，请致电热线。",
    ),
    "authority.ledger.no_recovery": _(
        "There is no recovery {recovery} in the ledger.", "台账中没有编号为 {recovery} 的恢复。"
    ),
    "authority.ledger.no_recovery_for_lock": _(
        "There is no recovery {recovery} for lock {serial} in the ledger.",
        "台账中没有锁 {serial} 编号为 {recovery} 的恢复。",
    ),
    "authority.ledger.no_recovery.next": _(
        "Check the recovery id and the lock serial and try again.",
        "请核对恢复编号和锁序列号后重试。",
    ),
    "authority.ledger.check_recovery": _("Check the recovery id.", "请核对恢复编号。"),
    "authority.ledger.no_recovery_numbered": _(
        "The ledger has no recovery {number} of lock {serial}.",
        "台账中没有锁 {serial} 的第 {number} 次恢复。",
    ),
    "authority.ledger.no_recovery_numbered.next": _(
        "Check the lock serial and the recovery number the lock shows with its seal.",
        "请核对锁序列号，以及锁在封码旁显示的恢复编号。",
    ),
    "authority.ledger.live": _(
        "{technician} already has live authorisation {recovery} for lock {serial} and this "
        "challenge, for a different request.",
        "{technician} 已为锁 {serial} 的这个挑战码持有有效授权 {recovery}，"
        "但那是另一个请求的授权。",
    ),
    "authority.ledger.live.meaning": _(
        "Nothing new was issued: one challenge gets one authorisation.",
        "未签发新授权：一个挑战码只对应一个授权。",
    ),
    "authority.ledger.live.next": _(
        "Use recovery {recovery}, or wait until it expires on {when} and ask the lock for a new "
        "challenge.",
        "请使用恢复 {recovery}，或等它在 {when} 过期后向锁申请新的挑战码。",
    ),
    "authority.ledger.other_technician": _(
        "Recovery {recovery} was issued to another technician.",
        "恢复 {recovery} 是签发给另一位技术员的。",
    ),
    "authority.ledger.own_results": _(
        "Report results only for your own recoveries.", "只上报你自己的恢复结果。"
    ),
    "authority.ledger.own_seals": _(
        "Report seals only for your own recoveries, or ask the hotline.",
        "只上报你自己的恢复的封码，或询问热线。",
    ),
    "authority.ledger.already": _(
        "Recovery {recovery} is already {state}.", "恢复 {recovery} 已经是“{state}”状态。"
    ),
    "authority.ledger.already.meaning": _(
        "A result can be reported once; nothing was changed.", "结果只能上报一次；没有任何改动。"
    ),
    "authority.ledger.ask_hotline": _(
        "Check the ledger entry with the hotline.", "请与热线核对这条台账记录。"
    ),
    "authority.ledger.closed_other_seal": _(
        "Recovery {recovery} was already closed with another seal.",
        "恢复 {recovery} 已用另一个封码关闭。",
    ),
    "authority.ledger.closed_other_seal.next": _(
        "Check the seal on the lock; the hotline can see the ledger entry.",
        "请核对锁上显示的封码；热线可以查看这条台账记录。",
    ),
    "authority.ledger.refused_nothing_to_close": _(
        "The lock refused recovery {recovery}; there is nothing to close.",
        "锁拒绝了恢复 {recovery}；没有需要关闭的恢复。",
    ),
    "authority.ledger.refused_nothing_to_close.next": _(
        "Start a new recovery if the safe is still locked out.",
        "如果保险柜仍处于锁定状态，请重新发起恢复。",
    ),
    "authority.ledger.too_many_seals": _(
        "Recovery {recovery} has had {count} wrong seals.",
        "恢复 {recovery} 已收到 {count} 次错误封码。",
    ),
    "authority.ledger.too_many_seals.meaning": _(
        "The recovery cannot be closed by seal any more.", "此次恢复已不能再通过封码关闭。"
    ),
    "authority.ledger.too_many_seals.next": _(
        "Send a technician to check the safe, and escalate to the service centre's security desk.",
        "请派技术员检查保险柜，并上报服务中心安全部门。",
    ),
    "authority.ledger.other_counter": _(
        "Recovery {recovery} was issued for recovery counter {counter}, not {given}.",
        "恢复 {recovery} 是按恢复计数 {counter} 签发的，而不是 {given}。",
    ),
    "authority.ledger.other_counter.next": _(
        "Read the counter from the lock again, or leave it out.",
        "请重新读取锁上的恢复计数，或不填写此项。",
    ),
    "authority.ledger.no_counter": _(
        "Recovery {recovery} was issued by phone without the lock's recovery counter, and the "
        "seal depends on it.",
        "恢复 {recovery} 是电话签发的，当时未提供锁的恢复计数，而封码取决于它。",
    ),
    "authority.ledger.no_counter.next": _(
        "Ask the technician for the recovery counter safetool shows with the seal, and give it "
        "with --counter.",
        "请技术员报出 safetool 在封码旁显示的恢复计数，并用 `--counter` 填写。",
    ),
    "authority.ledger.wrong_seal": _(
        "The close seal for recovery {recovery} is not the one lock {serial} shows after that "
        "recovery.",
        "恢复 {recovery} 的关闭封码与锁 {serial} 在该次恢复后显示的不一致。",
    ),
    "authority.ledger.wrong_seal.meaning": _(
        "The recovery stays open; wrong seals: {count} of {limit}.",
        "此次恢复仍未结束；错误封码：{count} 次（上限 {limit} 次）。",
    ),
    "authority.ledger.wrong_seal.next": _(
        "Ask the technician to close and lock the safe, then read the seal again.",
        "请技术员关好并锁上保险柜，然后重新读出封码。",
    ),
    "authority.filter.not_a_time": _(
        "The {filter} filter {text} is not a time.", "筛选条件 `{filter}` 的值 {text} 不是时间。"
    ),
    "authority.filter.not_a_time.next": _(
        "Give seconds since 1970 or an ISO date such as 2025-06-01T08:00Z.",
        "请填写自 1970 年起的秒数，或形如 `2025-06-01T08:00Z` 的日期时间。",
    ),
    "authority.filter.time_out_of_range": _(
        "The {filter} filter {text} is out of range.", "筛选条件 `{filter}` 的值 {text} 超出范围。"
    ),
    "authority.filter.time_out_of_range.next": _(
        "Give a date between the years 1 and 9999.", "请填写公元 1 年到 9999 年之间的日期。"
    ),
    "authority.filter.unknown": _(
        "There is no ledger filter {filter}.", "没有名为 `{filter}` 的台账筛选条件。"
    ),
    "authority.filter.unknown.next": _("Use {filters}.", "可用的筛选条件：{filters}。"),
    "authority.filter.state": _(
        "The state {text} is not one of {choices}.", "状态 {text} 不是以下之一：{choices}。"
    ),
    "authority.filter.kind": _(
        "The kind {text} is not one of {choices}.", "类型 {text} 不是以下之一：{choices}。"
    ),
    "authority.filter.limit": _(
        "The limit {text} must be a whole number from 1 to {maximum}.",
        "条数上限 {text} 必须是 1 到 {maximum} 之间的整数。",
    ),
    "authority.filter.limit.next": _(
        "Give a smaller limit, or none to list everything.", "请填写更小的上限，或不填以列出全部。"
    ),
    "ledger.state.issued": _("issued", "已签发"),
    "ledger.state.used": _("used", "已使用"),
    "ledger.state.refused": _("refused by the lock", "被锁拒绝"),
    "ledger.state.closed": _("closed", "已关闭"),
    "ledger.state.expired": _("expired", "已过期"),
    "ledger.kind.online": _("online", "在线"),
    "ledger.kind.phone": _("phone", "电话"),
    # --- the operator's side -------------------------------------------------------------
    "authority.operator.off": _(
        "Operator endpoints are switched off on this service authority.",
        "本服务中心的操作员接口已关闭。",
    ),
    "authority.operator.off.meaning": _(
        "It was started without an operator token.", "它启动时没有设置操作员令牌。"
    ),
    "authority.operator.off.next": _(
        "Restart `safetool authority serve` with {variable} set.",
        "请设置 `{variable}` 后重新运行 `safetool authority serve`。",
    ),
    "authority.operator.token_needed": _(
        "This needs the operator token.", "此操作需要操作员令牌。"
    ),
    "authority.operator.token_needed.next": _(
        "Set SAFETOOL_OPERATOR_TOKEN to the hotline's operator token.",
        "请把 `SAFETOOL_OPERATOR_TOKEN` 设为热线的操作员令牌。",
    ),
    "authority.operator.nothing_shown": _(
        "Nothing was issued or shown.", "未签发也未显示任何内容。"
    ),
    "authority.operator.send_bearer": _(
        "Send 'Authorization: Bearer <operator token>'.",
        "请发送 `Authorization: Bearer <操作员令牌>`。",
    ),
    "authority.http.not_found": _("There is no such endpoint.", "没有这个接口。"),
    "authority.http.method": _(
        "This endpoint does not take that method.", "这个接口不接受该请求方法。"
    ),
    "authority.http.see_docs": _(
        "See docs/authority.md for the API.", "接口说明见 `docs/authority.md`。"
    ),
    "authority.internal": _(
        "The service authority hit an internal error.", "服务中心发生内部错误。"
    ),
    "authority.internal.meaning": _(
        "Nothing was issued unless the ledger shows it.", "除非台账中有记录，否则未签发任何授权。"
    ),
    "authority.internal.next": _(
        "Try again; if it persists, call the hotline with the time.",
        "请重试；如果问题持续，请致电热线并说明发生的时间。",
    ),
    # --- the tool's side of the authority ------------------------------------------------
    "authority.unreachable": _(
        "Cannot reach the service authority at {url} ({error}).",
        "无法连接 {url} 的服务中心（{error}）。",
    ),
    "authority.unreachable.timeout": _(
        "The service authority at {url} did not answer within {seconds} s.",
        "{url} 的服务中心在 {seconds} 秒内没有应答。",
    ),
    "authority.unreachable.meaning": _(
        "No authorisation was received; the lock is unchanged.", "没有收到授权；锁没有任何变化。"
    ),
    "authority.unreachable.next": _(
        "Check the laptop's network and the authority URL; without a network, use the phone "
        "path (safetool recover --phone) and call the hotline.",
        "请检查电脑的网络和服务中心地址；没有网络时，请改用电话方式"
        "（`safetool recover --phone`）并致电热线。",
    ),
    "authority.answer.unusable": _(
        "The service authority's answer cannot be used: {problem}.",
        "服务中心的应答无法使用：{problem}。",
    ),
    "authority.answer.unusable.meaning": _(
        "Nothing was sent to the lock; it is unchanged.", "没有向锁发送任何内容；锁没有任何变化。"
    ),
    "authority.answer.unusable.next": _(
        "Try again; if it persists, call the hotline and use the phone path.",
        "请重试；如果问题持续，请致电热线并改用电话方式。",
    ),
    "authority.answer.not_json": _("it is not JSON", "它不是 JSON"),
    "authority.answer.not_bound": _(
        "the authorisation is for another lock, challenge or technician",
        "该授权属于另一把锁、另一个挑战码或另一位技术员",
    ),
    "authority.answer.bad_signature": _(
        "the authorisation's signature does not verify ({detail})",
        "授权的签名验证失败（{detail}）",
    ),
    "authority.answer.bad_crl": _(
        "the revocation list cannot be read or verified ({detail})",
        "吊销列表无法读取或验证（{detail}）",
    ),
    "authority.answer.bad_time": _(
        "the signed time cannot be read or verified ({detail})",
        "签名时间无法读取或验证（{detail}）",
    ),
    "authority.answer.time_other_lock": _(
        "the signed time is for another lock", "该签名时间属于另一把锁"
    ),
    "authority.answer.no_entries": _("the ledger has no list of entries", "台账中没有记录列表"),
    # --- starting the authority ----------------------------------------------------------
    "authority.keys.cannot_start": _(
        "The service authority cannot start without its keys; nothing was issued.",
        "服务中心缺少密钥无法启动；未签发任何授权。",
    ),
    "authority.keys.not_found": _("{path}: file not found.", "{path}：找不到文件。"),
    "authority.keys.no_folder": _("{path}: no such folder.", "{path}：没有这个文件夹。"),
    "authority.keys.readable": _(
        "{path}: the private key file is readable by others (mode {mode}).",
        "{path}：私钥文件可被其他用户读取（权限 {mode}）。",
    ),
    "authority.keys.not_pem": _(
        "{path}: not an unencrypted PEM private key.", "{path}：不是未加密的 PEM 私钥。"
    ),
    "authority.keys.not_ed25519": _("{path}: not an Ed25519 key.", "{path}：不是 Ed25519 密钥。"),
    "authority.keys.not_secret": _(
        "{path}: expected {size} bytes written in hexadecimal.",
        "{path}：应为以十六进制书写的 {size} 字节。",
    ),
    "authority.keys.not_json": _("{path}: not valid JSON.", "{path}：不是有效的 JSON。"),
    "authority.keys.not_strings": _(
        "{path}: not a JSON object of text values.", "{path}：不是值全为文本的 JSON 对象。"
    ),
    "authority.keys.crl_not_found": _(
        "{path}: the revocation list is missing.", "{path}：缺少吊销列表。"
    ),
    "authority.keys.crl_refused": _(
        "{path}: the revocation list was refused ({detail}).",
        "{path}：吊销列表被拒绝（{detail}）。",
    ),
    "authority.keys.crl_older": _(
        "{path}: the revocation list of {issued} is older than the one loaded ({loaded}).",
        "{path}：{issued} 的吊销列表比已加载的（{loaded}）更旧。",
    ),
    "authority.keys.mismatch": _(
        "{path}: does not match authority_public_key in trust.json.",
        "{path}：与 `trust.json` 中的 `authority_public_key` 不一致。",
    ),
    "authority.keys.next.give_pki": _(
        "Give --pki (or SAFETOOL_PKI) the folder made by `safetool dev-pki init DIR`.",
        "请用 `--pki`（或 `SAFETOOL_PKI`）指定 `safetool dev-pki init DIR` 生成的文件夹。",
    ),
    "authority.keys.next.chmod": _(
        "Run `chmod 600 {path}` and check who may have copied it.",
        "请运行 `chmod 600 {path}`，并查清可能有谁复制过它。",
    ),
    "authority.keys.next.restore_backup": _(
        "Restore the file from the key backup.", "请从密钥备份中恢复该文件。"
    ),
    "authority.keys.next.whole_pki": _(
        "Give --pki the whole PKI folder.", "请用 `--pki` 指定完整的 PKI 文件夹。"
    ),
    "authority.keys.next.restore_pki": _(
        "Restore the file from the PKI folder.", "请从 PKI 文件夹中恢复该文件。"
    ),
    "authority.keys.next.publish_crl": _(
        "Publish a list signed by this authority's key.", "请发布由本服务中心密钥签名的吊销列表。"
    ),
    "authority.keys.next.newest_crl": _(
        "Put back the newest signed revocation list.", "请放回最新的已签名吊销列表。"
    ),
    "authority.keys.next.same_pki": _(
        "Use the authority key and trust.json from the same PKI.",
        "请使用同一套 PKI 中的服务中心密钥和 `trust.json`。",
    ),
    "authority.db.cannot_record": _(
        "The authority cannot record what it issues, so it issues nothing.",
        "服务中心无法记录所签发的内容，因此不签发任何授权。",
    ),
    "authority.db.give_url": _(
        "Give --db a SQLite URL (sqlite:///path/ledger.sqlite) or a PostgreSQL URL "
        "(postgresql+psycopg://user:password@host:5432/ledger).",
        "请用 `--db` 指定 SQLite 地址（`sqlite:///path/ledger.sqlite`）或 PostgreSQL 地址"
        "（`postgresql+psycopg://user:password@host:5432/ledger`）。",
    ),
    "authority.db.in_memory": _(
        "Ledger database {url}: the ledger must be a file, not an in-memory database.",
        "台账数据库 {url}：台账必须是文件，而不是内存数据库。",
    ),
    "authority.db.not_a_url": _(
        "Ledger database {url}: not a database URL.", "台账数据库 {url}：不是数据库地址。"
    ),
    "authority.db.sqlite_driver": _(
        "Ledger database {url}: use the standard sqlite driver (sqlite:///path).",
        "台账数据库 {url}：请使用标准的 SQLite 驱动（`sqlite:///path`）。",
    ),
    "authority.db.postgres_driver": _(
        "Ledger database {url}: use the psycopg driver (postgresql+psycopg://...).",
        "台账数据库 {url}：请使用 `psycopg` 驱动（`postgresql+psycopg://...`）。",
    ),
    "authority.db.no_psycopg": _(
        "Ledger database {url}: psycopg is not installed.",
        "台账数据库 {url}：未安装 `psycopg`。",
    ),
    "authority.db.unsupported": _(
        "Ledger database {url}: {backend} is not supported; use SQLite or PostgreSQL.",
        "台账数据库 {url}：不支持 {backend}；请使用 SQLite 或 PostgreSQL。",
    ),
    "authority.db.unavailable": _(
        "The ledger database {url} cannot be used ({error}).",
        "台账数据库 {url} 无法使用（{error}）。",
    ),
    "authority.db.unavailable.meaning": _(
        "Nothing was issued: the authority only answers once the ledger has recorded it.",
        "未签发任何授权：服务中心只在台账记录之后才会应答。",
    ),
    "authority.db.unavailable.next": _(
        "Check that the database server is running and reachable, then try again.",
        "请确认数据库服务器正在运行且可以连接，然后重试。",
    ),
    "authority.db.busy": _(
        "The ledger database cannot be used right now.", "台账数据库暂时无法使用。"
    ),
    "authority.db.busy.next": _(
        "Try again in a minute; if it persists, call the hotline.",
        "请一分钟后重试；如果问题持续，请致电热线。",
    ),
    "authority.enrol.already": _(
        "Technician {technician} is already enrolled ({path}).",
        "技术员 {technician} 已登记（{path}）。",
    ),
    "authority.enrol.already.next": _(
        "Choose another id, or revoke and remove the old certificate first.",
        "请换一个编号，或先吊销并删除旧证书。",
    ),
    "authority.enrol.cannot_load": _(
        "Cannot load technician {technician} from {path}: {reason}",
        "无法从 {path} 读取技术员 {technician}：{reason}",
    ),
    "authority.enrol.cannot_load.next": _(
        "Check the technician's folder in the PKI.", "请检查 PKI 中该技术员的文件夹。"
    ),
    "authority.listen.no_host": _(
        "Cannot listen on {host}: {reason}.", "无法在 {host} 上监听：{reason}。"
    ),
    "authority.listen.no_host.next": _(
        "Give --host an address of this machine, such as 127.0.0.1 or 0.0.0.0.",
        "请用 `--host` 指定本机的地址，例如 `127.0.0.1` 或 `0.0.0.0`。",
    ),
    "authority.listen.in_use": _(
        "Cannot listen on {host}:{port}: the port is in use.",
        "无法在 {host}:{port} 上监听：端口已被占用。",
    ),
    "authority.listen.in_use.next": _(
        "Stop the other program on that port, or choose another with --port.",
        "请停止占用该端口的程序，或用 `--port` 换一个端口。",
    ),
    "authority.listen.failed": _(
        "Cannot listen on {host}:{port}: {reason}", "无法在 {host}:{port} 上监听：{reason}"
    ),
    "authority.listen.failed.next": _(
        "Choose another --host or --port.", "请换一个 `--host` 或 `--port`。"
    ),
    "authority.listen.stopped": _(
        "The HTTP server stopped while starting.", "`HTTP` 服务器在启动过程中停止了。"
    ),
}

AUTHORITY_COMMANDS: dict[str, dict[str, str]] = {
    "cli.authority.no_pki": _("No PKI folder given.", "没有指定 PKI 文件夹。"),
    "cli.authority.no_pki.meaning": _(
        "The authority needs its keys and technician register.",
        "服务中心需要它的密钥和技术员名册。",
    ),
    "cli.authority.no_pki.next": _(
        "Give --pki DIR or set {variable} (see `safetool dev-pki init DIR`).",
        "请用 `--pki DIR` 指定，或设置 `{variable}`（参见 `safetool dev-pki init DIR`）。",
    ),
    "cli.authority.not_positive": _("{text} is not a positive whole number", "{text} 不是正整数"),
    "cli.authority.short_token": _(
        "{variable} is shorter than {length} characters.", "`{variable}` 少于 {length} 个字符。"
    ),
    "cli.authority.short_token.meaning": _(
        "A short token could be guessed; the authority did not start.",
        "过短的令牌可能被猜中；服务中心没有启动。",
    ),
    "cli.authority.short_token.next": _(
        "Use a long random token, e.g. "
        "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`.",
        "请使用足够长的随机令牌，例如 "
        "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`。",
    ),
    "cli.authority.listening": _(
        "Service authority listening on {url}", "服务中心正在 {url} 上监听"
    ),
    "cli.authority.ledger": _("  ledger: {ledger}", "  台账：{ledger}"),
    "cli.authority.technicians": _(
        "  technicians registered: {count}", "  已登记技术员：{count} 名"
    ),
    "cli.authority.operator_off": _(
        "  operator endpoints off ({variable} not set)", "  操作员接口已关闭（未设置 `{variable}`）"
    ),
    "cli.authority.stop": _("Press Ctrl-C to stop.", "按 Ctrl-C 停止。"),
    "cli.authority.read_back": _(
        "Read back to the technician:  {response}", "请向技术员读出：  {response}"
    ),
    "cli.authority.issued": _(
        "recovery {recovery} · lock {serial} · technician {technician} · valid until {until}",
        "第 {recovery} 次恢复 · 锁 {serial} · 技术员 {technician} · 有效期至 {until}",
    ),
    "cli.authority.closed": _(
        "Recovery {recovery} of lock {serial} is closed (seal verified).",
        "锁 {serial} 的第 {recovery} 次恢复已关闭（封码已核验）。",
    ),
    "cli.authority.column.recovery": _("recovery", "恢复"),
    "cli.authority.report_unreadable": _("Cannot read the report {path}.", "无法读取报告 {path}。"),
    "cli.authority.report_unreadable.next": _(
        "Check the file's path, or ask the customer to send it again.",
        "请检查文件路径，或请客户重新发送。",
    ),
    "cli.authority.report_genuine": _(
        "Genuine: signed by certified technician {technician} (certificate {certificate}). "
        "It states:",
        "真实：由持证技术员 {technician}（证书 {certificate}）签名。报告内容如下：",
    ),
    "cli.authority.report_revoked_since": _(
        "Note: that technician's certificate has been revoked since; check the report's date.",
        "注意：该技术员的证书此后已被吊销；请核对报告日期。",
    ),
    "cli.help.authority.verify_report": _(
        "check that a customer's report was signed by a certified technician",
        "核验客户的报告是否由持证技术员签名",
    ),
    "cli.help.authority.verify_report.description": _(
        "Read the signature a report file carries, check it against the technicians this "
        "service centre certified, and show the facts it covers to compare with what the "
        "customer reads out.",
        "读取报告文件中的签名，用本服务中心认证的技术员核验，并显示签名所涵盖的内容，以便与客户读出的内容对照。",
    ),
    "cli.help.authority.report_file": _(
        "the report file (HTML) as the customer received it", "客户收到的报告文件（HTML）"
    ),
    "cli.authority.column.kind": _("kind", "类型"),
    "cli.authority.column.state": _("state", "状态"),
    "cli.authority.column.lock": _("lock", "锁"),
    "cli.authority.column.technician": _("technician", "技术员"),
    "cli.authority.column.issued": _("issued", "签发时间"),
    "cli.authority.column.closed": _("closed", "关闭时间"),
    "cli.authority.entries": _("{count} entries", "共 {count} 条"),
    "cli.authority.wrote": _(
        "Wrote {count} entries to {path}.", "已将 {count} 条记录写入 {path}。"
    ),
    "cli.help.authority.pki": _(
        "the PKI folder (authority keys, technicians); default: ${variable}",
        "PKI 文件夹（服务中心密钥、技术员）；默认：`${variable}`",
    ),
    "cli.help.authority.db": _(
        "ledger database URL (sqlite:///FILE or postgresql+psycopg://...); default: "
        "${variable}, else PKI/authority/ledger.sqlite",
        "台账数据库地址（`sqlite:///FILE` 或 `postgresql+psycopg://...`）；默认："
        "`${variable}`，否则为 `PKI/authority/ledger.sqlite`",
    ),
    "cli.help.authority.validity_min": _(
        "minutes an online authorisation stays valid (default {default})",
        "在线授权的有效分钟数（默认 {default}）",
    ),
    "cli.help.authority.per_technician": _(
        "authorisations one technician may get per hour (default {default})",
        "每位技术员每小时可获得的授权次数（默认 {default}）",
    ),
    "cli.help.authority.per_lock": _(
        "authorisations one lock may get per hour (default {default})",
        "每把锁每小时可获得的授权次数（默认 {default}）",
    ),
    "cli.help.authority.description": _(
        "The service centre's side of lockout recovery: an HTTP API for technicians and "
        "operators, and the hotline desk's offline commands.",
        "服务中心一侧的锁定恢复：供技术员和操作员使用的 HTTP 接口，以及热线坐席的离线命令。",
    ),
    "cli.help.authority.serve": _("run the HTTP API", "运行 HTTP 接口"),
    "cli.help.authority.serve.description": _(
        "Run the HTTP API. Operator endpoints need the token in ${variable} (at least {length} "
        "characters); without it they are off. Put a TLS proxy in front of anything but "
        "loopback.",
        "运行 HTTP 接口。操作员接口需要 `${variable}` 中的令牌（至少 {length} 个字符）；"
        "没有令牌时这些接口关闭。除本机回环地址外，请在前面加一层 TLS 代理。",
    ),
    "cli.help.authority.host": _("address to listen on ({default})", "监听地址（{default}）"),
    "cli.help.authority.port": _(
        "port (default {default}; 0: any)", "端口（默认 {default}；0 表示任意）"
    ),
    "cli.help.authority.issue": _(
        "issue a phone-in response (hotline desk, directly on the ledger)",
        "签发电话应答码（热线坐席，直接写入台账）",
    ),
    "cli.help.authority.issue.description": _(
        "Check the technician and the challenge's check digit, record the authorisation in "
        "the ledger, and print the response to read back in groups.",
        "核对技术员和挑战码的校验位，把授权记入台账，并打印按组读出的应答码。",
    ),
    "cli.help.authority.serial": _("the lock's serial number", "锁的序列号"),
    "cli.help.authority.challenge": _(
        "the challenge digits as read (spaces allowed)", "读出的挑战码数字（可含空格）"
    ),
    "cli.help.authority.technician": _(
        "the technician's id, e.g. T-1001", "技术员编号，例如 `T-1001`"
    ),
    "cli.help.authority.counter": _(
        "the lock's recovery counter, as the technician reads it out with the challenge",
        "锁的恢复计数，由技术员随挑战码一起读出",
    ),
    "cli.help.authority.close": _(
        "record a recovery as closed, after checking the lock's close seal",
        "核对锁的关闭封码后，把恢复记为已关闭",
    ),
    "cli.help.authority.close.description": _(
        "Verify the close seal the lock showed after the safe was shut and mark the recovery "
        "closed. A wrong seal is refused and recorded.",
        "核验保险柜关好后锁显示的关闭封码，并把恢复标记为已关闭。错误的封码会被拒绝并记录。",
    ),
    "cli.help.authority.recovery": _(
        'the recovery\'s number, as the lock shows it with the seal ("Close seal for recovery N")',
        "恢复的编号，即锁在封码旁显示的数字（“第 N 次恢复的关闭封码”）",
    ),
    "cli.help.authority.seal": _(
        "the seal digits as read (spaces allowed)", "读出的封码数字（可含空格）"
    ),
    "cli.help.authority.ledger": _(
        "list or export the ledger (CSV or JSON)", "列出或导出台账（CSV 或 JSON）"
    ),
    "cli.help.authority.ledger.description": _(
        "List what was issued, used and closed; --format csv|json exports.",
        "列出已签发、已使用和已关闭的授权；`--format csv|json` 用于导出。",
    ),
    "cli.help.authority.format": _("export format", "导出格式"),
    "cli.help.authority.output": _(
        "write to this file instead of the screen", "写入此文件而不是显示在屏幕上"
    ),
    "cli.help.authority.only_serial": _("only this lock", "只看这把锁"),
    "cli.help.authority.only_technician": _("only this technician", "只看这位技术员"),
    "cli.help.authority.only_state": _(
        "only issued, used, refused, closed or expired",
        "只看某一状态：`issued`、`used`、`refused`、`closed` 或 `expired`",
    ),
    "cli.help.authority.only_kind": _("only online or phone", "只看某一类型：`online` 或 `phone`"),
    "cli.help.authority.since": _(
        "issued at or after (ISO date/time or epoch seconds)",
        "签发时间不早于（ISO 日期时间，或自 1970 年起的秒数）",
    ),
    "cli.help.authority.until": _(
        "issued before (ISO date/time or epoch seconds)",
        "签发时间早于（ISO 日期时间，或自 1970 年起的秒数）",
    ),
}
