"""The terminal's messages in Japanese, keyed by their English templates (gettext's way).

A template is the exact text a call site passes to `tr()` (`str.format` placeholders) or to the log
(`%s` placeholders, kept in their order). tests/test_terminal_ja.py finds every such call site and
holds this table to it: a message without its Japanese fails the suite.
"""

JA: dict[str, str] = {
    "error:": "エラー:",
    "warning:": "警告:",
    "fix:": "対処:",
    "ok": "OK",
    "problem": "問題",
    "interrupted: `auditor run --resume` carries the run on (or finishes its reports)":
        "中断しました: `auditor run --resume` で実行を続けられます（残ったレポートの作成も）",
    "cannot write {where}: {why}. Make its folder writable for this user (or free space), then run again":
        "{where} に書き込めません: {why}。このユーザーが書き込めるようにする（または空き容量を作る）と、もう一度実行できます",
    "wrote {path}": "{path} に書き出しました",
    "cannot write the {role} folder {folder}: {why}. Make it writable for this user (or free space), or point `{key}` in config.yaml at another folder, then run again; nothing was written":
        "{role}のフォルダ {folder} に書き込めません: {why}。このユーザーが書き込めるようにする（または空き容量を作る）か、config.yaml の `{key}` を別のフォルダにして、もう一度実行してください。何も書き込んでいません",
    "`auditor run --resume` carries run #{run} on": "`auditor run --resume` で実行 #{run} を続けてください",
    "run again": "もう一度実行してください",
    "the disk holding {where} is full: the run stopped, and what it had stored is kept. Free space there (or move it: config.yaml), then {resume}":
        "{where} のディスクがいっぱいです。実行は止まりましたが、保存済みの内容は残っています。空き容量を作る（または config.yaml で移す）と、{resume}",
    "database": "データベース",
    "reports": "レポート",
    "evidence": "証拠",
    "auditing": "監査中",
    "{seen} listings · {flagged} flagged · {failed} failed": "出品 {seen} · 検出 {flagged} · 失敗 {failed}",
    "run #{run} ({kind}): {status}": "実行 #{run}（{kind}）: {status}",
    "targets": "対象",
    "started": "開始",
    "time": "所要時間",
    "pages read": "読んだページ",
    "pages failed": "失敗したページ",
    "pages spared": "省いたページ",
    "{n} item pages whose search cards showed nothing new": "検索結果で変化のなかった商品ページ {n} 件",
    " (`auditor run --full` reads them)": "（`auditor run --full` で読みます）",
    "listings seen": "見た出品",
    "{n} ({new} new, {changed} changed)": "{n}（新規 {new}、変更 {changed}）",
    "need a decision": "要判断",
    "– (an ad hoc run changes no queue; the console lists its hits under Ad hoc runs)":
        "–（アドホック実行はキューを変えません。コンソールの「アドホック実行」に検出が一覧されます）",
    "flagged now": "現在の検出",
    "{n} ({new} new, {escalated} escalated, {active} still active)":
        "{n}（新規 {new}、エスカレート {escalated}、継続中 {active}）",
    "evaded": "回避",
    "gone": "取り下げ・終了",
    "unchecked": "未確認",
    "{n} captured": "{n} 件取得",
    ", {n} FAILED": "、{n} 件失敗",
    "not read completely": "読み切れていません",
    "failed": "失敗",
    "{n} attempts": "{n} 回試行",
    "1 attempt": "1 回試行",
    "  … and {n} more failed pages (see the report)": "  … ほかに失敗したページが {n} 件（レポートを参照）",
    "give either --target or --site with --query / --url, not both":
        "--target か、--site と --query / --url のどちらか一方を指定してください",
    "unknown target {names} (known: {known})": "対象 {names} はありません（あるもの: {known}）",
    "none": "なし",
    "an ad hoc run (--site) cannot be a scheduled one": "アドホック実行（--site）は定期実行にできません",
    "--followup reads the followed listings of the config's targets: give it alone (or with --target)":
        "--followup は設定の対象で追跡中の出品を読みます。単独で（または --target と）指定してください",
    "--resume carries on the interrupted run with its own targets: give it alone":
        "--resume は中断した実行をその対象のまま続けます。単独で指定してください",
    "run #{run} had finished ({status}) and only its reports were left: written now":
        "実行 #{run} は終わっていて（{status}）、残っていたのはレポートだけでした。今作成しました",
    "run report: {path}": "実行レポート: {path}",
    "report: {path}": "レポート: {path}",
    "every page failed for:": "すべてのページが失敗した対象:",
    "day {day} ({date}): precision={precision} recall={recall} states={share} ({right} of {total} right: {states}) networks precision={net_precision} recall={net_recall}":
        "{day} 日目（{date}）: 適合率={precision} 再現率={recall} 状態={share}（{total} 件中 {right} 件正解: {states}） ネットワーク 適合率={net_precision} 再現率={net_recall}",
    "  {site}/{item}: audit says {got}, truth is {want}": "  {site}/{item}: 監査は {got}、正解は {want}",
    "demo marketplace, day {day}: {url}/ ({n} listings, {flagged} that a correct audit flags); Ctrl-C to stop":
        "デモのマーケット {day} 日目: {url}/（出品 {n} 件、正しい監査が検出するもの {flagged} 件）。Ctrl-C で停止",
    "cannot serve on 127.0.0.1:{port}: {why}": "127.0.0.1:{port} で配信できません: {why}",
    "scheduled '{cron}' ({zone}); next run {next}; Ctrl-C or SIGTERM to stop":
        "スケジュール '{cron}'（{zone}）。次の実行 {next}。Ctrl-C か SIGTERM で停止",
    "{value} is not YYYY-MM-DD, today or yesterday": "{value} は YYYY-MM-DD、today、yesterday のいずれでもありません",
    "no run #{run} (see `auditor runs`)": "実行 #{run} はありません（`auditor runs` を参照）",
    "the database has no scheduled or manual run yet: run `auditor run` first":
        "データベースにはまだ定期・手動の実行がありません。まず `auditor run` を実行してください",
    "report: {path} (as written; `auditor report --date {day}` rebuilds it)":
        "レポート: {path}（作成時のまま。`auditor report --date {day}` で作り直せます）",
    "no scheduled or manual run on {day} ({zone})": "{day}（{zone}）には定期・手動の実行がありません",
    "no runs yet: run `auditor run` first": "まだ実行がありません。まず `auditor run` を実行してください",
    "run": "実行",
    "kind": "種類",
    "status": "状態",
    "duration": "所要",
    "pages ok": "成功",
    "listings": "出品",
    "flagged": "検出",
    "hits": "ヒット",
    "error": "エラー",
    "no notify: URLs in the config (see the README: Alerts)": "設定に notify: の URL がありません（README の「Alerts」を参照）",
    "sent": "送信済み",
    "FAILED": "失敗",
    "target {name}": "対象 {name}",
    "needs a browser": "ブラウザが必要",
    "plain HTTP": "通常の HTTP",
    "search by keyword": "キーワード検索",
    " and category": "とカテゴリ",
    ", newest first (queries stop paging when the news runs out)": "、新着順（新しいものがなくなると検索のページ送りを止めます）",
    "reads: {kinds}; {how}": "読むページ: {kinds}。{how}",
    "labels: {labels}": "ラベル: {labels}",
    "{source}: it names no venue auditor knows; give --site (see `auditor sites`)":
        "{source}: auditor が知っているサイトを示していません。--site を指定してください（`auditor sites` を参照）",
    "read with the {profile} profile: {why}": "{profile} プロファイルで読みます: {why}",
    "{day} is not a day (YYYY-MM-DD)": "{day} は日付（YYYY-MM-DD）ではありません",
    "{n} files checked, {bad} do not hold": "{n} ファイルを確認し、{bad} 件が一致しません",
    "{n} files checked: all hold": "{n} ファイルを確認しました。すべて一致します",
    "no retention: set evidence.retention_days in the config, or give --older-than DAYS":
        "保存期間がありません。設定の evidence.retention_days を決めるか、--older-than DAYS を指定してください",
    "would remove {folder} ({files} files, {bytes} bytes, captured {day})":
        "削除予定: {folder}（{files} ファイル、{bytes} バイト、{day} 取得）",
    "removing {folder} ({files} files, {bytes} bytes, captured {day})":
        "削除中: {folder}（{files} ファイル、{bytes} バイト、{day} 取得）",
    "{n} files removed from {captures} captures": "{captures} 件の取得から {n} ファイルを削除しました",
    "nothing is older than {days} days that a decision does not keep": "判断で保持されていないもので {days} 日より古いものはありません",
    "no banks yet: `auditor banks create confirmed`, or confirm a violation in the console":
        "まだバンクがありません。`auditor banks create confirmed` を実行するか、コンソールで違反を確認してください",
    ", {n} withdrawn (their confirmation was replaced)": "、取り下げ {n} 件（確認が差し替えられたもの）",
    "{name}: {n} hashes{withdrawn} (made {day} by {who})": "{name}: ハッシュ {n} 件{withdrawn}（{day} に {who} が作成）",
    "  its imported entries, as our decisions judged listings showing them (the entries stay as imported): ":
        "  取り込んだ項目（それを使う出品への私たちの判断。項目自体は取り込んだまま）: ",
    "bank {name} created": "バンク {name} を作りました",
    "bank {name} already exists": "バンク {name} はもうあります",
    "{path}: PDQ quality {quality} is under 50 (too flat to match reliably)":
        "{path}: PDQ の品質 {quality} が 50 未満です（平坦すぎて確実に照合できません）",
    "{added} of {n} added to {name}": "{n} 件中 {added} 件を {name} に追加しました",
    " ({n} were in it already)": "（{n} 件はすでにありました）",
    "{n} removed from {name}": "{name} から {n} 件を削除しました",
    "imported from {file}": "{file} から取り込み",
    "{added} of {n} hashes added to {name}": "ハッシュ {n} 件中 {added} 件を {name} に追加しました",
    "{path}: {n} hashes": "{path}: ハッシュ {n} 件",
    "{source}: not a Playwright storage-state file (JSON: {why})":
        "{source}: Playwright の storage-state ファイルではありません（JSON: {why}）",
    "{source}: not a Playwright storage-state file (it needs {shape}; `playwright codegen --save-storage FILE` writes one)":
        "{source}: Playwright の storage-state ファイルではありません（{shape} が必要です。`playwright codegen --save-storage FILE` で作れます）",
    "no target {target} in the config (targets: {known})": "設定に対象 {target} はありません（対象: {known}）",
    "session of {target} removed": "{target} のセッションを削除しました",
    "no display here to open a browser on: sign in on a machine with one (`playwright codegen --save-storage state.json URL`), then `auditor login {target} --storage-state state.json`":
        "ここにはブラウザを開くディスプレイがありません。ディスプレイのあるマシンでサインインし（`playwright codegen --save-storage state.json URL`）、`auditor login {target} --storage-state state.json` を実行してください",
    "session of {target} saved ({n} cookies): its runs use it from now on":
        "{target} のセッションを保存しました（Cookie {n} 件）。以後の実行で使います",
    "target {target} has no http(s) address to sign in at": "対象 {target} にはサインインする http(s) のアドレスがありません",
    "Sign in in the browser window, then press Enter here": "ブラウザのウィンドウでサインインし、ここで Enter を押してください",
    "{case}: a case is SITE/ITEM_ID (as `auditor case` and the console name it)":
        "{case}: ケースは SITE/ITEM_ID の形で指定します（`auditor case` やコンソールと同じ）",
    "no user {name} (see `auditor users list`)": "ユーザー {name} はいません（`auditor users list` を参照）",
    "name the confirmed cases (SITE/ITEM_ID …) or --seller SITE/SELLER_ID, one of the two":
        "確認済みのケース（SITE/ITEM_ID …）か --seller SITE/SELLER_ID の、どちらか一方を指定してください",
    "notice #{id} drafted for {channel} ({n} listing(s)): {subject}":
        "通知 #{id} を {channel} 宛てに下書きしました（出品 {n} 件）: {subject}",
    "notice #{id} was not sent (it stays a draft): {why}": "通知 #{id} は送信されませんでした（下書きのままです）: {why}",
    "notice #{id} sent: {receipt}": "通知 #{id} を送信しました: {receipt}",
    "notice #{id}: {state}": "通知 #{id}: {state}",
    "{n} listing(s)  sent {when}": "出品 {n} 件  送信 {when}",
    "  next: {channel}": "  次: {channel}",
    "no notice is due": "再通知の期限が来た通知はありません",
    "no notice yet": "まだ通知はありません",
    "form: {url}": "フォーム: {url}",
    "last send failed: {why}": "前回の送信は失敗しました: {why}",
    "--- text ---": "--- 本文 ---",
    "--- states ---": "--- 状態 ---",
    " by {name}": "（{name}）",
    "  receipt {receipt}": "  受付番号 {receipt}",
    "  {h} h after sending": "  送信から {h} 時間",
    "review console on {url} (Ctrl-C to stop)": "レビューコンソール: {url}（Ctrl-C で停止）",
    "password": "パスワード",
    "added {name} ({role})": "{name}（{role}）を追加しました",
    " disabled": " 無効",
    " locked until {when}": " {when} までロック中",
    "no users yet: `auditor users add NAME --role admin`":
        "まだユーザーがいません: `auditor users add NAME --role admin`",
    "disabled {name}": "{name} を無効にしました",
    "enabled {name}": "{name} を有効に戻しました",
    "unlocked {name}": "{name} のロックを解除しました",
    " ({n} place(s) were waiting)": "（{n} か所が待機中でした）",
    "password of {name} changed": "{name} のパスワードを変更しました",
    "{file}: not UTF-8 text (byte {at}); save the sheet as CSV UTF-8":
        "{file}: UTF-8 のテキストではありません（{at} バイト目）。シートを「CSV UTF-8」で保存してください",
    "imported {n} decisions": "判断 {n} 件を取り込みました",
    "; {n} already recorded, skipped": "。{n} 件は記録済みのため飛ばしました",
    "image {name}: PDQ {hash} (quality {quality}": "画像 {name}: PDQ {hash}（品質 {quality}",
    ", too flat to match": "、平坦すぎて照合不可",
    "; in no bank": "。どのバンクにもありません",
    "image {name}: {meta}": "画像 {name}: {meta}",
    "image {name}: nudity detector: ": "画像 {name}: ヌード検出: ",
    "nothing": "なし",
    "{rule}: promoted to stable in {path}; the next run puts its hits into production":
        "{rule}: {path} で stable に昇格しました。次の実行から検出が本番に入ります",
    "  in shadow it flagged {n} listings (their hits: the report's shadow section)":
        "  シャドーでは {n} 件の出品を検出しました（検出はレポートのシャドー欄）",
    "{n} rules ok": "ルール {n} 件: 問題なし",
    "{passed} of {n} examples passed in {rules} rules": "ルール {rules} 件の例 {n} 件中 {passed} 件が通りました",
    "; {n} rules lack an example": "。例のないルールが {n} 件",
    "--field {pair}: give NAME=VALUE with NAME one of {names}":
        "--field {pair}: NAME=VALUE の形で、NAME は {names} のいずれかを指定してください",
    "--field {pair}: {key} must be a number": "--field {pair}: {key} は数値で指定してください",
    "--label {value}: a venue's label is one of {labels}": "--label {value}: サイトのラベルは {labels} のいずれかです",
    "labels (the venue's own marks): {labels}": "ラベル（サイト自身の表示）: {labels}",
    "{field}: folded {folded}, compared as {compacted}": "{field}: 正規化 {folded}、比較形 {compacted}",
    "no rule matches": "一致するルールはありません",
    "fires without a text match": "文字の一致なしで発火",
    "fires": "発火する",
    "does not fire: an exception holds": "発火しない: 除外条件が成立",
    "does not fire": "発火しない",
    "condition `{condition}` is {holds}": "条件 `{condition}` は {holds}",
    "true": "真",
    "false": "偽",
    "cancelled: {what}": "打ち消し: {what}",
    "{n} stored listings seen in the last {since}, against {baseline}: {added} hits added, {removed} removed":
        "直近 {since} に見た保存済み出品 {n} 件を {baseline} と比べて: 検出の追加 {added} 件、削除 {removed} 件",
    "`auditor worker` needs a PostgreSQL database (database: postgresql://… in config.yaml): the job queue lives there":
        "`auditor worker` には PostgreSQL のデータベース（config.yaml の database: postgresql://…）が必要です。ジョブのキューがそこにあります",
    "workers.enabled is false in the config: runs do not defer jobs to workers until it is true":
        "設定の workers.enabled が false です。true にするまで、実行はワーカーにジョブを回しません",
    "worker taking jobs from {database} (concurrency {n}); Ctrl-C or SIGTERM to stop":
        "ワーカーが {database} からジョブを受けています（並列 {n}）。Ctrl-C か SIGTERM で停止",
    "{v!r} is not an e-mail address": "{v!r} はメールアドレスではありません",
    "smtp.password_env: a user signs in with a password; name the environment variable that holds it":
        "smtp.password_env: ユーザーはパスワードでサインインします。パスワードを入れた環境変数の名前を書いてください",
    "smtp.sender: {sender!r} is not an e-mail address": "smtp.sender: {sender!r} はメールアドレスではありません",
    "{v!r} is not an http(s) address": "{v!r} は http(s) のアドレスではありません",
    "channel {name}: url: a {kind} needs the form's address": "チャネル {name}: url: {kind} にはフォームのアドレスが必要です",
    "channel {name}: category: a hotline's form asks for the category (e.g. わいせつ物公然陳列)":
        "チャネル {name}: category: ホットラインのフォームは分類を求めます（例: わいせつ物公然陳列）",
    "channel {name}: to: an email channel needs the address it mails":
        "チャネル {name}: to: メールのチャネルには送り先のアドレスが必要です",
    "channel {name}: smtp: mailing {value} needs the SMTP server":
        "チャネル {name}: smtp: {value} へのメールには SMTP サーバーが必要です",
    "channel {name}: url or to: a DSA notice is filed at the venue's address or mailed":
        "チャネル {name}: url か to: DSA の通知はサイトのアドレスに提出するか、メールで送ります",
    "channel names must be unique: {value}": "チャネル名が重複しています: {value}",
    "reporter.name and reporter.email: an Art. 16 DSA notice must name the notifier and their e-mail":
        "reporter.name と reporter.email: DSA 第16条の通知には通知者の名前とメールアドレスが必要です",
    "{address!r} is not an e-mail address": "{address!r} はメールアドレスではありません",
    "{raw!r} is not a port": "{raw!r} はポート番号ではありません",
    "targets[{i}].notices: unknown channel {name!r} (known: {known})":
        "targets[{i}].notices: チャネル {name!r} はありません（あるもの: {known}）",
    "{text!r} is neither an address, a network nor a host name": "{text!r} はアドレスでも、ネットワークでも、ホスト名でもありません",
    "{v!r} is not a ws:// or wss:// address of a Playwright browser server":
        "{v!r} は Playwright のブラウザサーバーの ws:// / wss:// アドレスではありません",
    "a cron needs five fields: minute hour day month weekday": "cron には 5 つの欄が必要です: 分 時 日 月 曜日",
    "workers.enabled needs a PostgreSQL database (database: postgresql://…): the job queue lives there":
        "workers.enabled には PostgreSQL のデータベース（database: postgresql://…）が必要です。ジョブのキューがそこにあります",
    "target names must be unique: {value}": "対象の名前が重複しています: {value}",
    "targets[{i}].site: unknown site profile {site!r} (known: {value})":
        "targets[{i}].site: サイトプロファイル {site!r} はありません（あるもの: {value}）",
    "unknown time zone {v!r}": "タイムゾーン {v!r} はありません",
    "{value!r} is not an http://host:port proxy (socks5 is not supported yet)":
        "{value!r} は http://host:port のプロキシではありません（socks5 にはまだ対応していません）",
    "{url!r} is not an http(s) or demo: URL": "{url!r} は http(s) か demo: の URL ではありません",
    "{value!r}: a database is a SQLite file or a postgresql:// URL":
        "{value!r}: データベースは SQLite のファイルか postgresql:// の URL です",
    "the top level must be a mapping of settings": "最上位は設定の対応表（mapping）でなければなりません",
    "target {name}: {message}": "対象 {name}: {message}",
    "{what} needs ${{{value}}}, which is not set in the environment":
        "{what} には ${{{value}}} が必要ですが、環境変数に設定されていません",
    "Chromium did not start ({where}): {value}": "Chromium が起動しませんでした（{where}）: {value}",
    "Chromium went away as it started: {value}": "Chromium が起動中に終了しました: {value}",
    "Japanese fonts: missing ({why}); screenshots will show boxes for Japanese text: install a CJK font (Debian: fonts-noto-cjk)":
        "日本語フォント: ありません（{why}）。スクリーンショットの日本語が四角になります。CJK フォントを入れてください（Debian: fonts-noto-cjk）",
    "no Chromium found; {hint}": "Chromium が見つかりません。{hint}",
    "needs root and apt-get": "root と apt-get が必要です",
    "Japanese fonts: present": "日本語フォント: あり",
    "auditor: installing Japanese fonts for evidence screenshots (fonts-noto-cjk) ...":
        "auditor: 証拠スクリーンショット用の日本語フォント（fonts-noto-cjk）を入れています ...",
    "Japanese fonts: fonts-noto-cjk installed": "日本語フォント: fonts-noto-cjk を入れました",
    "Playwright's Chromium: {path}": "Playwright の Chromium: {path}",
    "auditor: trying Playwright's own Chromium download ...":
        "auditor: Playwright 自身の Chromium のダウンロードを試しています ...",
    "system Chromium: {path}": "システムの Chromium: {path}",
    "no Chromium could be installed automatically; {hint}": "Chromium を自動では入れられませんでした。{hint}",
    "`{command}` failed: {why}": "`{command}` が失敗しました: {why}",
    "auditor: Playwright's download is not available here; using the system Chromium instead":
        "auditor: ここでは Playwright のダウンロードが使えません。代わりにシステムの Chromium を使います",
    "auditor: installing Debian's chromium package (apt-get) ...":
        "auditor: Debian の chromium パッケージを入れています（apt-get）...",
    "browser.executable {configured!r} does not exist; {hint}":
        "browser.executable {configured!r} がありません。{hint}",
    "not found after install": "入れた後も見つかりません",
    "auditor: Playwright's download failed ({e}); using the system Chromium instead":
        "auditor: Playwright のダウンロードが失敗しました（{e}）。代わりにシステムの Chromium を使います",
    "install one: `python -m playwright install chromium` where it can be downloaded, or Debian's package (`apt-get install chromium`), or set browser.executable in config.yaml":
        "ダウンロードできる環境では `python -m playwright install chromium`、または Debian のパッケージ（`apt-get install chromium`）で入れるか、config.yaml の browser.executable を設定してください",
    "not time-stamped": "タイムスタンプがありません",
    "its time-stamp is not checked: set evidence.tsa_certs to the authority's certificates":
        "タイムスタンプを検証していません: evidence.tsa_certs に認証局の証明書を設定してください",
    "its time-stamp token cannot be read {why}": "タイムスタンプのトークンを読めません {why}",
    "its time-stamp does not hold: {why}": "タイムスタンプが一致しません: {why}",
    "outside the evidence folder": "証拠フォルダの外にあります",
    "missing": "ありません",
    "{name}:{n} and the database disagree on its hash": "{name}:{n} とデータベースでハッシュが食い違っています",
    "changed since it was captured (its SHA-256 differs)": "取得後に変更されています（SHA-256 が違います）",
    "bank name {value!r}: use lower-case letters, digits, '_', '.' or '-' (up to 64)":
        "バンク名 {value!r}: 英小文字、数字、'_'、'.'、'-' だけを使ってください（64 文字まで）",
    "no bank named {name!r} (banks: {known}); `auditor banks create {name}` makes it":
        "バンク {name!r} はありません（バンク: {known}）。`auditor banks create {name}` で作れます",
    "unknown bank file format {fmt!r} (known: {value})": "バンクファイルの形式 {fmt!r} は知りません（知っているもの: {value}）",
    "{path}:1: a bank CSV needs a header with a pdq column ({value})":
        "{path}:1: バンクの CSV には pdq 列のある見出し行が必要です（{value}）",
    "{path}: cannot read it: {e}": "{path}: 読めません: {e}",
    "{path}:{n}: signal type {value!r} is not pdq (only PDQ hashes are banked)":
        "{path}:{n}: シグナルの種類 {value!r} は pdq ではありません（バンクに入れるのは PDQ ハッシュだけです）",
    "target {value} names no notice channel (targets[].notices in config.yaml); name one with --channel":
        "対象 {value} には通知のチャネルがありません（config.yaml の targets[].notices）。--channel で指定してください",
    "a notice needs at least one listing": "通知には出品が 1 件以上必要です",
    "a notice goes to one venue: its listings must be of one site": "通知の宛先は 1 つのサイトです。出品は同じサイトのものにしてください",
    "seller {site}/{seller_id} has no open confirmed listing": "出品者 {site}/{seller_id} には未解決の確認済み出品がありません",
    "no notice channel {name!r} (known: {known})": "通知のチャネル {name!r} はありません（あるもの: {known}）",
    "{value}/{value2} is not a confirmed violation: confirm it (or request its takedown) before drafting a notice":
        "{value}/{value2} は確認済みの違反ではありません。通知を下書きする前に違反を確認（または削除を依頼）してください",
    "no listing {value}/{value2}": "出品 {value}/{value2} はありません",
    "no notice #{notice_id} (see `auditor notices list`)":
        "通知 #{notice_id} はありません（`auditor notices list` を参照）",
    "notice #{id}: its channel {channel!r} is no longer in config.yaml's notices.channels":
        "通知 #{id}: チャネル {channel!r} はもう config.yaml の notices.channels にありません",
    "notice #{notice_id} goes through {label}'s form ({url}): file it there, then record the receipt (`auditor notices mark {notice_id} sent --receipt …`)":
        "通知 #{notice_id} は {label} のフォーム（{url}）から提出します。そこで提出してから受付番号を記録してください（`auditor notices mark {notice_id} sent --receipt …`）",
    "notice #{notice_id} is {state}, not a draft: it is not sent again":
        "通知 #{notice_id} は {state} で、下書きではありません。再送しません",
    "a notice can be marked {value}, not {state!r}": "通知に記録できる状態は {value} で、{state!r} ではありません",
    "notice #{notice_id} is {state}: it cannot become {state2}":
        "通知 #{notice_id} は {state} です。{state2} にはできません",
    "the SMTP password is read from ${password_env}, which is not set":
        "SMTP のパスワードは ${password_env} から読みますが、設定されていません",
    "the server refused {addresses}": "サーバーが {addresses} を拒否しました",
    "notice #{notice_id} is mailed by auditor: send it (`auditor notices send {notice_id}`)":
        "通知 #{notice_id} は auditor がメールで送ります。送信してください（`auditor notices send {notice_id}`）",
    "a notice filed through a form is sent once its receipt or reference number is recorded (--receipt; write 「なし」/none when the form gave none)":
        "フォームで提出した通知は、受付番号・参照番号を記録すると送信済みになります（--receipt。番号がなければ「なし」/none と書いてください）",
    "{n} rules in {files} files ({folder})": "ルール {n} 件、ファイル {files} 件（{folder}）",
    "{n} rules look pictures up in a bank ({value}), but no enabled target fetches every listing's pictures: a confirmed picture re-listed under an innocent title is never seen":
        "ルール {n} 件（{value}）が画像をバンクで照合しますが、すべての出品の画像を取る有効な対象がありません。確認済みの画像が無害なタイトルで再出品されても見つかりません",
    "set images: all on the targets where re-listings matter (its cost is in the README)":
        "再出品が問題になる対象に images: all を設定してください（コストは README にあります）",
    "{shown}: ok, {runs} runs": "{shown}: OK、実行 {runs} 件",
    "{folder}: writable": "{folder}: 書き込み可",
    "; no Japanese fonts (screenshots show boxes: `auditor browser install`)":
        "。日本語フォントがありません（スクリーンショットが四角になります: `auditor browser install`）",
    "'{cron}' ({timezone}); next run {next}": "'{cron}'（{timezone}）。次の実行 {next}",
    "restore a backup; the file is damaged": "バックアップから戻してください。ファイルが壊れています",
    "headless Chromium starts": "ヘッドレス Chromium が起動します",
    "no database yet: no scheduled run so far": "まだデータベースがありません。定期実行もまだです",
    "see `auditor runs`; is `auditor schedule` (or its cron line) running?":
        "`auditor runs` を見てください。`auditor schedule`（または cron の行）は動いていますか？",
    "read and valid": "読み込み済み・正常",
    "fix the file and line named; `auditor rules validate`": "示されたファイルと行を直してください（`auditor rules validate`）",
    "check the path or URL and its permissions (database: in config.yaml)":
        "パスか URL とその権限を確認してください（config.yaml の database:）",
    "make {folder} writable by this user, or point the config elsewhere":
        "{folder} をこのユーザーが書き込めるようにするか、設定で別の場所にしてください",
    "`auditor browser install`": "`auditor browser install` を実行してください",
    "fix schedule.cron in config.yaml (minute 0-59, hour 0-23, ...)":
        "config.yaml の schedule.cron を直してください（分 0-59、時 0-23、…）",
    "not read: {e}": "読めません: {e}",
    "no enabled target": "有効な対象がありません",
    "enable one in config.yaml, or use `auditor demo`": "config.yaml で対象を有効にするか、`auditor demo` を使ってください",
    "AUDITOR_BROWSER_EXECUTABLE overrides browser.executable":
        "AUDITOR_BROWSER_EXECUTABLE が browser.executable より優先されます",
    "the bundled demo marketplace (started by each run)": "同梱のデモマーケット（実行ごとに起動）",
    "{origin}: robots.txt answered HTTP {status_code}": "{origin}: robots.txt の応答は HTTP {status_code}",
    "cannot reach it: {kind}: {e}": "接続できません: {kind}: {e}",
    "check the network, a proxy, or the target's URLs": "ネットワーク、プロキシ、対象の URL を確認してください",
    "config": "設定",
    "rules": "ルール",
    "pictures": "画像",
    "browser": "ブラウザ",
    "schedule": "スケジュール",
    "last run": "前回の実行",
    "environment": "環境変数",
    "stopping ({name}): the run in flight, if any, is interrupted": "停止します（{name}）。実行中のものがあれば中断します",
    "no scheduled run has finished yet (is `auditor schedule` running?)":
        "まだ定期実行が一度も終わっていません（`auditor schedule` は動いていますか？）",
    "no scheduled run since run #{run} ({started}); one was due at {due}":
        "実行 #{run}（{started}）以降、定期実行がありません。{due} に予定されていました",
    "the last scheduled run #{run} was {status}, and run #{good} (manual, {when}) read all its targets since":
        "前回の定期実行 #{run} は{status}でしたが、その後の実行 #{good}（手動、{when}）がすべての対象を読みました",
    "the last scheduled run #{run} is {status}: {why}": "前回の定期実行 #{run} は{status}です: {why}",
    "the last scheduled run #{run} completed ({started})": "前回の定期実行 #{run} は完了しました（{started}）",
    "unknown verdict {verdict!r} (known: {value})": "判断 {verdict!r} はありません（あるもの: {value}）",
    "only a lead may reopen a decided case": "判断済みのケースを再オープンできるのはリードだけです",
    "a takedown request needs its ticket or reference": "削除依頼にはチケット番号か参照が必要です",
    "{site}/{item_id} is not a flagged listing": "{site}/{item_id} は検出された出品ではありません",
    "{where}: needs site and item_id": "{where}: site と item_id が必要です",
    "{where}, column verdict: {raw_verdict!r} is not a verdict (one of: {labels})":
        "{where}、verdict 列: {raw_verdict!r} は判断ではありません（次のいずれか: {labels}）",
    "{where}, column decided_at: {raw_time!r} is not a time (2026-11-25 09:00, 2026/11/25 9:00, 2026-11-25T09:00+09:00; without a zone it is read as {key})":
        "{where}、decided_at 列: {raw_time!r} は日時ではありません（2026-11-25 09:00、2026/11/25 9:00、2026-11-25T09:00+09:00。タイムゾーンがなければ {key} として読みます）",
    "{where}, column decided_at: {raw_time!r} is after this import: a decision is dated when it was made, never later; nothing was imported":
        "{where}、decided_at 列: {raw_time!r} はこの取り込みより後です。判断の日時は判断した時で、それより後にはなりません。何も取り込んでいません",
    "{where}, column ticket: a takedown request needs its ticket or reference":
        "{where}、ticket 列: 削除依頼にはチケット番号か参照が必要です",
    "{where}, column verdict: only a lead may {verdict} a decided case ({name} is a {role}); nothing was imported":
        "{where}、verdict 列: 判断済みのケースを {verdict} にできるのはリードだけです（{name} は {role}）。何も取り込んでいません",
    "{where}: {site}/{item_id} is escalated to a lead: only a lead decides it; nothing was imported":
        "{where}: {site}/{item_id} はリードにエスカレートされています。判断できるのはリードだけです。何も取り込んでいません",
    "a JSON import is a list of objects, one per decision": "JSON の取り込みは、判断 1 件ごとに 1 つのオブジェクトを並べたリストです",
    "line {value}: not CSV ({e}); nothing was imported": "{value} 行目: CSV ではありません（{e}）。何も取り込んでいません",
    "not JSON: {e}": "JSON ではありません: {e}",
    "no listing {site}/{item_id}": "出品 {site}/{item_id} はありません",
    "a password needs at least {MIN_PASSWORD} characters": "パスワードは {MIN_PASSWORD} 文字以上にしてください",
    "this password is too easy to guess: {value}. A few unrelated words, or a password manager's, are both fine":
        "このパスワードは推測されやすすぎます: {value}。無関係な単語をいくつか並べるか、パスワードマネージャーの生成したものにしてください",
    "unknown role {role!r} (known: {value})": "役割 {role!r} はありません（あるもの: {value}）",
    "user name {name!r}: letters, digits, '-', '_' and '.' only":
        "ユーザー名 {name!r}: 英字、数字、'-'、'_'、'.' だけを使ってください",
    "user {name!r} exists already": "ユーザー {name!r} はもういます",
    "you cannot disable yourself: ask another admin": "自分自身は無効にできません。別の管理者に頼んでください",
    "no user {name!r} (see `auditor users list`)": "ユーザー {name!r} はいません（`auditor users list` を参照）",
    "--since {text!r}: give a number and a unit, e.g. 30d, 12h or 2w":
        "--since {text!r}: 数と単位で指定してください（例: 30d、12h、2w）",
    "no run has kept its rules yet: give the FILE to compare with the rules folder":
        "ルールを記録した実行がまだありません。ルールフォルダと比べる FILE を指定してください",
    " (did you mean {word!r}?)": "（{word!r} のことですか？）",
    "unexpected {value!r} in condition": "条件に予期しない {value!r} があります",
    "condition is empty": "条件が空です",
    "unexpected character {value!r} in condition": "条件に予期しない文字 {value!r} があります",
    "condition nests more than {MAX_NESTING} levels deep": "条件の入れ子が {MAX_NESTING} 段より深くなっています",
    "condition ends too early": "条件が途中で終わっています",
    "unexpected {tok!r} in condition": "条件に予期しない {tok!r} があります",
    "missing ')' in condition": "条件に ')' がありません",
    "'{pattern}' names no selection": "'{pattern}' はどの選択条件も指していません",
    "condition names selection {tok!r}, which the rule does not define":
        "条件が選択条件 {tok!r} を指していますが、ルールに定義がありません",
    "no listing rule {rule!r}": "出品ルール {rule!r} はありません",
    "no rule files (*.yaml) found": "ルールファイル（*.yaml）が見つかりません",
    "seller.rules: {pattern!r} names no listing rule": "seller.rules: {pattern!r} はどの出品ルールも指していません",
    "regex '{pattern}' cannot run in linear time or is invalid: {value}":
        "正規表現 '{pattern}' は線形時間で実行できないか、不正です: {value}",
    "give min, max or both": "min、max、またはその両方を指定してください",
    "min is greater than max": "min が max より大きくなっています",
    "name at least one label (adult, ai_generated, shop, auction)":
        "ラベルを 1 つ以上指定してください（adult、ai_generated、shop、auction）",
    "give min_listings, min_total or both": "min_listings、min_total、またはその両方を指定してください",
    "a rule needs selections (a listing rule) or seller (a seller rule)":
        "ルールには selections（出品ルール）か seller（出品者ルール）が必要です",
    "a seller rule takes no selections, exceptions or condition":
        "出品者ルールには selections、exceptions、condition を書けません",
    "entries must not be empty": "項目を空にはできません",
    "no rule {rule!r} in {paths}": "{paths} にルール {rule!r} はありません",
    "{rule_id} ({path}) has status {status}: it is not in shadow mode":
        "{rule_id}（{path}）の status は {status} です。シャドーモードではありません",
    "{where}: cannot find the status value to change; edit it by hand":
        "{where}: 変更する status の値が見つかりません。手で編集してください",
    "{path}: promoting {rule_id} would break the file; left as it was":
        "{path}: {rule_id} を昇格するとファイルが壊れるため、そのままにしました",
    "rule {id} has no `{expected}` example: {what} is shown": "ルール {id} には `{expected}` の例がありません: {what}",
    "unknown run kind {kind!r} (known: {value})": "実行の種類 {kind!r} はありません（あるもの: {value}）",
    "workers.enabled is set but this run was not handed its workers: start it with `auditor run` / `auditor schedule` (auditor.ops.audit.start_audit)":
        "workers.enabled が設定されていますが、この実行にはワーカーが渡されていません。`auditor run` / `auditor schedule` で始めてください（auditor.ops.audit.start_audit）",
    "no interrupted run to resume: the latest run finished (see `auditor runs`)":
        "続ける中断した実行がありません。最新の実行は終わっています（`auditor runs` を参照）",
    "no enabled targets in the config: nothing to audit": "設定に有効な対象がありません。監査するものがありません",
    "run {id} was recorded before runs kept their targets: cannot resume it":
        "実行 {id} は対象を記録するようになる前のものです。続けられません",
    "no listing is followed yet: a follow-up run has nothing to read": "まだ追跡中の出品がありません。追跡実行で読むものがありません",
    "--query and --url need --site NAME (see `auditor sites`)":
        "--query と --url には --site NAME が必要です（`auditor sites` を参照）",
    "say what to audit on {site}: --query TEXT or --url URL":
        "{site} で何を監査するか指定してください: --query TEXT か --url URL",
    "{site} has no address of its own: give --base-url with --query":
        "{site} には決まったアドレスがありません。--query と一緒に --base-url を指定してください",
    "{url} needs a local marketplace that is not running (start it with `auditor demo serve`)":
        "{url} にはローカルのマーケットが必要ですが、動いていません（`auditor demo serve` で起動してください）",
    "target {name}: give start_urls or queries": "対象 {name}: start_urls か queries を指定してください",
    "target {name}: queries need a base_url": "対象 {name}: queries には base_url が必要です",
    "which notice? (no notice number was sent)": "どの通知ですか？（通知番号が送られていません）",
    "unknown site profile {name!r} (known: {value})": "サイトプロファイル {name!r} はありません（あるもの: {value}）",
    "{source}: no such file (give a saved page or an http(s) URL)":
        "{source}: そのファイルはありません（保存したページか http(s) の URL を指定してください）",
    "{shown} was written by a newer auditor (schema version {found}; this one knows up to {n}): upgrade auditor to use it; nothing was changed":
        "{shown} は新しい auditor が書いたものです（スキーマ {found}。この auditor は {n} まで）。使うには auditor を更新してください。何も変更していません",
    "cannot open database {shown}: {value}": "データベース {shown} を開けません: {value}",
    "{name} is read-only": "{name} は読み取り専用です",
    "file not found": "ファイルがありません",
    "cannot read: {e}": "読めません: {e}",
    "YAML syntax: {value}": "YAML の構文: {value}",
    "a character YAML does not allow (#x{character:04x}): remove it":
        "YAML で使えない文字があります（#x{character:04x}）。取り除いてください",
    "YAML syntax: {e}": "YAML の構文: {e}",
    "nested too deeply (more than {MAX_DEPTH} levels)": "入れ子が深すぎます（{MAX_DEPTH} 段より深い）",
    "a key must be a plain value": "キーは単純な値でなければなりません",
    "{value}: duplicate key": "{value}: キーが重複しています",
    "target %s: its pages need JavaScript after all; using the browser for it from now on":
        "対象 %s: ページに JavaScript が必要でした。以後はブラウザで読みます",
    "browser started": "ブラウザを起動しました",
    "the browser missed %d hard deadlines in a row: restarting it": "ブラウザが %d 回続けて期限に間に合いませんでした。再起動します",
    "connected to the browser server at %s after %.1f s": "ブラウザサーバー %s に接続しました（%.1f 秒後）",
    "evidence of %s: the page did not settle in %g s; capturing it with its scripts off":
        "%s の証拠: ページが %g 秒で落ち着きませんでした。スクリプトを止めて取得します",
    "the browser server at %s went away; connecting again": "ブラウザサーバー %s が切れました。接続し直します",
    "the browser crashed or was closed; relaunching it": "ブラウザが落ちたか閉じられました。起動し直します",
    "%s; trying again for up to %.0f s": "%s。最大 %.0f 秒まで再試行します",
    "evidence of %s taken before the page reached %s": "%s の証拠を、ページが %s に達する前に取得しました",
    "page failed: %s (%s after %d attempt%s)": "ページが失敗しました: %s（%s、試行 %d 回%s）",
    "target %s reached max_pages_per_target (%d); the rest is not crawled":
        "対象 %s が max_pages_per_target（%d）に達しました。残りは読みません",
    "retrying %s in %.1f s after %s": "%s を %.1f 秒後に再試行します（理由: %s）",
    "target %s: %d search pages in a row without a new listing; not following 'next' further (endless pagination?)":
        "対象 %s: 新しい出品のない検索ページが %d ページ続きました。これ以上「次へ」をたどりません（終わりのないページ送り？）",
    "unexpected error on %s": "%s で予期しないエラー",
    "target %s: %d pages in a row of %s held only known, unchanged listings (newest first): not paging further":
        "対象 %s: %d ページ続けて、%s には既知で変化のない出品しかありませんでした（新着順）。これ以上ページを送りません",
    "%s asks us to wait %g s, more than crawl.max_retry_after_seconds":
        "%s が %g 秒待つよう求めています。crawl.max_retry_after_seconds より長い時間です",
    "refused by the address policy: %s:%d (%s)": "アドレスの方針により拒否: %s:%d（%s）",
    "the upstream proxy %s gave no tunnel to %s:%d": "上流のプロキシ %s が %s:%d へのトンネルを開きませんでした",
    "the pace's connection to PostgreSQL was lost: connecting again": "間隔制御の PostgreSQL 接続が切れました。接続し直します",
    "woke %.1f s past its turn for %s: taking a new one": "%.1f 秒遅れて目覚めました（%s の順番）。新しい順番を取ります",
    "robots.txt of %s answered %d: not crawling that host this run":
        "%s の robots.txt の応答は %d でした。この実行ではそのホストを読みません",
    "robots.txt of %s unreachable (%s): not crawling that host this run":
        "%s の robots.txt に届きません（%s）。この実行ではそのホストを読みません",
    "removed %d half-written capture folder(s) a stopped run left": "止まった実行が残した書きかけの取得フォルダを %d 件削除しました",
    "recorded the capture of %s/%s that a stopped run had left unrecorded": "止まった実行が記録せずに残した %s/%s の取得を記録しました",
    "the evidence manifest of %s could not be written (%s); free space, then `auditor report --date %s` writes it":
        "%s の証拠マニフェストを書けませんでした（%s）。空き容量を作ってから `auditor report --date %s` で書けます",
    "evidence of %s: %s; trying again": "%s の証拠: %s。再試行します",
    "no evidence of %s: %s": "%s の証拠を取れませんでした: %s",
    "no evidence of %s: unexpected %s": "%s の証拠を取れませんでした: 予期しない %s",
    "the TSA refused to time-stamp %s (status %s)": "TSA が %s へのタイムスタンプを拒否しました（status %s）",
    "the TSA's answer for %s is not for this request": "%s への TSA の応答が、この要求に対するものではありません",
    "no time-stamp for %s from %s: %s": "%s のタイムスタンプを %s から得られませんでした: %s",
    "%s/%s flagged by its images: %s": "%s/%s を画像で検出: %s",
    "listing %s/%s: %s": "出品 %s/%s: %s",
    "matching listing images against %d bank entries (%s)": "出品の画像をバンクの %d 項目と照合します（%s）",
    "notice #%s sent to %s (%s)": "通知 #%s を %s に送信しました（%s）",
    "notice #%s to %s was not sent: %s": "%s 宛ての通知 #%s は送信されませんでした: %s",
    "notify url %s is not one Apprise understands": "通知の URL %s は Apprise が理解できません",
    "notification %s to %s failed": "通知 %s（宛先 %s）が失敗しました",
    "notification failed: %s": "通知が失敗しました: %s",
    "alerts could not be sent": "アラートを送れませんでした",
    "%s run %d %s; report in %s": "%s 実行 %d: %s。レポートは %s",
    "%s run interrupted: %s; `auditor run --resume` carries it on":
        "%s 実行が中断しました: %s。`auditor run --resume` で続けられます",
    "%s: %s": "%s: %s",
    "%s run could not start: %s": "%s 実行を始められませんでした: %s",
    "%s run failed: %s": "%s 実行が失敗しました: %s",
    "%s run crashed": "%s 実行が異常終了しました",
    "%s/%s %s by %s: %d bank entr%s %s": "%s/%s を %s（%s）: バンク項目 %d 件%s %s",
    "%s/%s confirmed by %s: %d picture(s) added to bank %s": "%s/%s を %s が確認: 画像 %d 件をバンク %s に追加",
    "the rules' %d regexes are too large to match as one set; matching them one by one (slower, same results)":
        "ルールの正規表現 %d 個はまとめて照合するには大きすぎます。1 つずつ照合します（遅くなりますが結果は同じです）",
    "listing %s/%s could not be matched or stored": "出品 %s/%s を照合または保存できませんでした",
    "run %d had finished without its reports: writing them now": "実行 %d はレポートなしで終わっていました。今作成します",
    "run %d %s: %d pages ok, %d failed, %d flagged now": "実行 %d %s: 成功 %d ページ、失敗 %d、現在の検出 %d",
    "run %d: %s (%s)": "実行 %d: %s（%s）",
    "run %d (%s): %d targets, %d rules, %d followed listings": "実行 %d（%s）: 対象 %d、ルール %d、追跡中の出品 %d",
    "taking %d evidence captures still owed from earlier runs": "前の実行から残っている証拠の取得 %d 件を行います",
    "run %d had stopped without finishing (killed?): marked interrupted; `auditor run --resume` carries it on":
        "実行 %d は終わらずに止まっていました（強制終了？）。中断として記録しました。`auditor run --resume` で続けられます",
    "resuming run %d: %d item pages already done": "実行 %d を再開します: 商品ページ %d 件は済んでいます",
    "run %d: could not mark it interrupted either (%s)": "実行 %d: 中断として記録することもできませんでした（%s）",
    "notice #%s: its listings are gone": "通知 #%s: 出品は取り下げ・終了しました",
    "run %d stopped: it exceeded crawl.max_run_minutes (%g)": "実行 %d を止めました: crawl.max_run_minutes（%g）を超えました",
    "the run did not stop within %d s of %s: stopping it at once": "実行が %d 秒以内に止まりませんでした（%s）。すぐに止めます",
    "%s: the database does not answer (%s); trying again for up to %.0f s":
        "%s: データベースが応答しません（%s）。最大 %.0f 秒まで再試行します",
    "%s: connected again after %.1f s": "%s: %.1f 秒後に接続し直しました",
    "run %d: %d discover jobs deferred; waiting for workers": "実行 %d: 探索ジョブ %d 件をキューに入れました。ワーカーを待ちます",
    "run %d: a worker stopped answering; its job %s (%s) goes to another":
        "実行 %d: ワーカーが応答しなくなりました。そのジョブ %s（%s）を別のワーカーに回します",
    "run %d: the database connection was lost (%s); connecting again": "実行 %d: データベースの接続が切れました（%s）。接続し直します",
    "run %d: %d queued jobs cancelled": "実行 %d: キューのジョブ %d 件を取り消しました",
    "creating the job queue's tables (procrastinate)": "ジョブキューのテーブルを作っています（procrastinate）",
    "the queue's listener lost the database (%s); connecting again": "キューの待ち受けがデータベースを失いました（%s）。接続し直します",
    "run %d: %s: %d search pages, %d item pages in %d jobs": "実行 %d: %s: 検索 %d ページ、商品 %d ページ（ジョブ %d 件）",
    "worker: run %d opened (%d targets, %d rules)": "ワーカー: 実行 %d を開きました（対象 %d、ルール %d）",
    "run %d: job %s is already queued": "実行 %d: ジョブ %s はもうキューにあります",
    "run %s: job %s lost the database mid-way (%s); doing it again":
        "実行 %s: ジョブ %s が途中でデータベースを失いました（%s）。やり直します",
    "unknown key": "不明なキー",
    "required key is missing": "必須のキーがありません",
    "Input should be {expected}": "{expected} のいずれかにしてください",
    "Input should be a valid integer": "整数にしてください",
    "Input should be a valid number": "数値にしてください",
    "Input should be a valid boolean": "true か false にしてください",
    "Input should be a valid string": "文字列にしてください",
    "Input should be a valid list": "リストにしてください",
    "Input should be a valid dictionary": "対応表（mapping）にしてください",
    "Input should be a mapping of settings": "設定の対応表（mapping）にしてください",
    "Input should be greater than or equal to {ge}": "{ge} 以上にしてください",
    "Input should be greater than {gt}": "{gt} より大きくしてください",
    "Input should be less than or equal to {le}": "{le} 以下にしてください",
    "Input should be less than {lt}": "{lt} より小さくしてください",
    "String should have at least {min_length} characters": "{min_length} 文字以上にしてください",
    "String should have at most {max_length} characters": "{max_length} 文字以下にしてください",
    "List should have at least {min_length} items": "{min_length} 項目以上にしてください",
    "List should have at most {max_length} items": "{max_length} 項目以下にしてください",
    "selection": "選択条件",
    "exception": "除外条件",
    "{field} {value} is not within {bounds}": "{field} の {value} は {bounds} の範囲外です",
    "(none)": "（なし）",
    "{field} is absent": "{field} がありません",
    "{field} is present": "{field} があります",
    '{field} "{text}" (inside the except phrase "{phrase}")': '{field} 「{text}」（除外語句「{phrase}」の中）',
    "regex {pattern}": "正規表現 {pattern}",
    "no keyword or regex of [{terms}] in {fields}": "{fields} に [{terms}] のキーワード・正規表現がありません",
    "mode all: not every keyword was found": "mode all: すべてのキーワードは見つかりませんでした",
    "its address {address!r} is on {profile}": "アドレス {address!r} は {profile} のものです",
    "it names {profile}'s hosts most ({n} times)": "{profile} のホストを最も多く含みます（{n} 回）",
    "no seller network yet: sellers are linked by the pictures they share and the links they show":
        "まだ出品者のネットワークはありません。出品者は共有する画像と示すリンクでつながります",
    "network {n}: {sellers} sellers, {flagged} flagged listings ({how})": "ネットワーク {n}: 出品者 {sellers}、検出した出品 {flagged}（{how}）",
    "shop links": "ショップのリンク",
    "partner": "提携先のバンドル",
    "{source}: not a STIX 2.1 bundle: {why}": "{source}: STIX 2.1 のバンドルではありません: {why}",
    "{sellers} sellers watched, {links} links added from {file}": "{file} から出品者 {sellers} 人を監視対象にし、つながり {links} 件を加えました",
    "; {n} accounts on venues without a profile were left out": "。プロファイルのないサイトのアカウント {n} 件は除きました",
    "wrote {path} (in shadow: `auditor rules promote` puts it into production)": "{path} を書き出しました（シャドー: `auditor rules promote` で本番に入ります）",
    "no bundle at the top": "最上位がバンドルではありません",
    "its web archive does not hold: {why}": "ウェブアーカイブが一致しません: {why}",
    "{case}: no web archive of this listing (captures keep one since evidence.archive)":
        "{case}: この出品のウェブアーカイブはありません（evidence.archive 以降の取得に付きます）",
    "{path} is not empty: give a new folder": "{path} は空ではありません。新しいフォルダを指定してください",
    "{path}: missing": "{path}: ありません",
    "{path}: its web archive does not hold: {why}": "{path}: ウェブアーカイブが一致しません: {why}",
    "its SHA-256 differs": "SHA-256 が違います",
    "{n} archives of {case} written to {path} (with SHA256SUMS)": "{case} のアーカイブ {n} 件を {path} に書き出しました（SHA256SUMS 付き）",
    "the web archive could not be built (wacz exit {code})": "ウェブアーカイブを作れませんでした（wacz の終了コード {code}）",
    "{path}:{n}: the same hash as line {first} (a bank file lists each hash once)":
        "{path}:{n}: {first} 行目と同じハッシュです（バンクファイルには各ハッシュを 1 回だけ書きます）",
    "{path}: {n} entries": "{path}: {n} 件のエントリー",
    "bank entry #{id} released: {n} listings it matched while held are read again by the next run":
        "バンクエントリー #{id} を解除しました：保留中に一致した出品 {n} 件を次の実行で読み直します",
    ", {n} held for a flood (`auditor banks held`)": "、大量一致のため保留中 {n} 件（`auditor banks held`）",
    "{value!r} is not a hash (32 or 64 hex digits)": "{value!r} はハッシュではありません（16 進 32 桁か 64 桁）",
    "no bank entry is held": "保留中のバンクエントリーはありません",
    "#{id} {bank} {kind} {signal}: held {day} ({why}); {n} listings wait; from {source}":
        "#{id} {bank} {kind} {signal}: {day} から保留中（{why}）。待機中の出品 {n} 件。出所 {source}",
    "bank entry #{id} is not held (`auditor banks held` lists those that are)":
        "バンクエントリー #{id} は保留中ではありません（保留中のものは `auditor banks held` で一覧できます）",
    "{path}:{n}: signal type {value!r} is not one a bank holds ({known})":
        "{path}:{n}: シグナル種別 {value!r} はバンクに入れられません（入れられるのは {known}）",
    "{path}:1: a bank CSV needs a header with a signal column ({value})":
        "{path}:1: バンクの CSV には signal 列のある見出し行が必要です（{value}）",
    "{path}:{n}: {value!r} is not a {kind} hash ({digits} hex digits)":
        "{path}:{n}: {value!r} は {kind} のハッシュではありません（16 進 {digits} 桁）",
    "quality {quality} is not between 0 and 100": "品質 {quality} が 0 から 100 の間にありません",
    "bank entry #%d is held: it matched far more listings than usual (a lead releases it: `auditor banks held`)":
        "バンクエントリー #%d を保留しました：普段よりはるかに多くの出品に一致しました（リードが解除します：`auditor banks held`）",
}
