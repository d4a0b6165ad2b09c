/* Lockstep's page: a token, the zones it may see, their records and the MTA-STS checkbox.
 * It speaks only to the API beside it (/api/v1/...); the token lives in sessionStorage. */
"use strict";

(function () {
	const API = "/api/v1/servers/localhost";
	const TOKEN_KEY = "lockstep-token";
	// Fast while something is on its way, slow once it settled.
	const POLL_BUSY_MS = 1000;
	const POLL_IDLE_MS = 5000;
	const BUSY_STATES = ["pending", "waiting", "removing"];
	const CALL_TIMEOUT_MS = 10000;	// a call the API has not answered by then has failed

	const $ = (id) => document.getElementById(id);
	let zone = null;	// the open zone: {id, name}
	let rrsets = [];
	let stsState = "off";	// the open zone's MTA-STS state, as last read
	let stsShown = null;	// the resource last shown, as JSON
	let stsSeen = null;	// its state and id when the records were last read (null: not yet)
	let pollTimer = null;
	let pollFailed = false;	// the error shown is the poll's own
	let stsSeq = 0;		// answers to older requests are dropped

	class ApiError extends Error {
		constructor(status, message) {
			super(message);
			this.status = status;
		}
	}

	// One call to the API; resolves to the parsed body (null when there is none).
	async function api(method, path, body) {
		const headers = { "Authorization": "Bearer " + sessionStorage.getItem(TOKEN_KEY) };
		const init = { method, headers, cache: "no-store", credentials: "omit",
			signal: AbortSignal.timeout(CALL_TIMEOUT_MS) };
		if (body !== undefined) {
			headers["Content-Type"] = "application/json";
			init.body = JSON.stringify(body);
		}
		let res;
		try {
			res = await fetch(path, init);
		} catch (e) {
			throw new ApiError(0, e.name === "TimeoutError"
				? "the API did not answer within " + CALL_TIMEOUT_MS / 1000 + " s"
				: "the API did not answer (" + e.message + ")");
		}
		let text;
		try {
			text = await res.text();
		} catch (e) {
			throw new ApiError(0, "the API's answer broke off (" + e.message + ")");
		}
		let data = null;
		if (text !== "") {
			try {
				data = JSON.parse(text);
			} catch (e) {
				data = null;
			}
		}
		if (!res.ok) {
			let why = data && typeof data.error === "string" ? data.error : text.trim();
			if (why === "")
				why = res.statusText || "no reason given";
			throw new ApiError(res.status, why);
		}
		return data;
	}

	// The words shown for a failed call: what was tried, what the API said, and what to do.
	function explain(doing, err) {
		if (!(err instanceof ApiError))
			return doing + ": " + String(err);
		switch (err.status) {
		case 0: return doing + ": " + err.message + ".";
		case 401: return doing + ": the API refused the token (" + err.message + ").";
		case 403: return doing + ": this token may not do that (" + err.message + ").";
		case 404: return doing + ": not found (" + err.message + ").";
		case 413: return doing + ": the request is too large (" + err.message + ").";
		case 429: return doing + ": too many failed logins from here; wait a minute (" + err.message + ").";
		default: return doing + ": " + err.message + " (HTTP " + err.status + ").";
		}
	}

	function showError(text) {
		const box = $("error");
		box.textContent = text;
		box.hidden = false;
		// The box is above everything: bring it into sight from a form further down.
		box.scrollIntoView({ block: "nearest" });
	}

	function clearError() {
		pollFailed = false;
		$("error").hidden = true;
		$("error").textContent = "";
	}

	// Reports a failed call; a refused token ends the session.
	function fail(doing, err) {
		if (err instanceof ApiError && err.status === 401) {
			logout(false);
			showError(explain(doing, err) + " Log in again.");
			return;
		}
		showError(explain(doing, err));
	}

	function el(tag, text, cls) {
		const e = document.createElement(tag);
		if (text !== undefined && text !== null)
			e.textContent = String(text);
		if (cls)
			e.className = cls;
		return e;
	}

	function zonePath(z) {
		return API + "/zones/" + encodeURIComponent(z.id);
	}

	/* Log in and out */

	async function login(ev) {
		ev.preventDefault();
		clearError();
		const token = $("token").value.trim();
		if (token === "") {
			showError("Log in: enter the API token.");
			$("token").focus();
			return;
		}
		sessionStorage.setItem(TOKEN_KEY, token);
		$("login").disabled = true;
		try {
			await loadZones();
			$("token").value = "";
		} catch (err) {
			sessionStorage.removeItem(TOKEN_KEY);
			showError(explain("Log in", err));
		} finally {
			$("login").disabled = false;
		}
	}

	function logout(clear) {
		sessionStorage.removeItem(TOKEN_KEY);
		stopPolling();
		zone = null;
		$("zones").replaceChildren();
		$("zones-view").hidden = true;
		$("zone-view").hidden = true;
		$("logout").hidden = true;
		$("login-view").hidden = false;
		if (clear)
			clearError();
		$("token").focus();
	}

	/* Zones */

	async function loadZones() {
		const list = await api("GET", API + "/zones");
		const ul = $("zones");
		ul.replaceChildren();
		(list || []).slice().sort((a, b) => a.name.localeCompare(b.name)).forEach((z) => {
			const b = el("button", z.name, "plain");
			b.type = "button";
			b.dataset.zone = z.name;
			b.addEventListener("click", () => openZone({ id: z.id || z.name, name: z.name }));
			const li = el("li");
			li.appendChild(b);
			ul.appendChild(li);
		});
		$("zones-empty").hidden = ul.children.length > 0;
		$("login-view").hidden = true;
		$("zones-view").hidden = false;
		$("logout").hidden = false;
		if (list && list.length === 1)
			openZone({ id: list[0].id || list[0].name, name: list[0].name });
	}

	async function openZone(z) {
		clearError();
		stopPolling();
		zone = z;
		for (const b of $("zones").querySelectorAll("button"))
			b.setAttribute("aria-current", b.dataset.zone === z.name ? "true" : "false");
		$("zone-title").textContent = "Zone " + z.name;
		$("zone-view").hidden = false;
		stsSeen = null;
		stsShown = null;
		rrsets = [];
		renderSts(null);
		await Promise.all([loadRecords(), loadSts()]);
	}

	/* Records */

	async function loadRecords() {
		const z = zone;
		try {
			const data = await api("GET", zonePath(z));
			if (zone !== z)
				return;
			rrsets = (data && data.rrsets) || [];
			renderRecords();
		} catch (err) {
			fail("Reading the records of " + z.name, err);
		}
	}

	function renderRecords() {
		const body = $("records");
		body.replaceChildren();
		const sorted = rrsets.slice().sort((a, b) =>
			a.name === b.name ? a.type.localeCompare(b.type) : a.name.localeCompare(b.name));
		for (const set of sorted) {
			for (const rec of set.records || []) {
				const tr = el("tr");
				tr.appendChild(el("td", set.name));
				tr.appendChild(el("td", set.type));
				tr.appendChild(el("td", set.ttl));
				tr.appendChild(el("td", rec.content + (rec.disabled ? " (disabled)" : ""), "content"));
				const td = el("td");
				if (managed(set.name)) {
					td.appendChild(el("span", "MTA-STS", "managed"));
				} else if (set.type !== "SOA") {	// a zone keeps its SOA
					const del = el("button", "Delete", "plain");
					del.type = "button";
					del.setAttribute("aria-label", "Delete " + set.name + " " + set.type + " " + rec.content);
					del.addEventListener("click", () => deleteRecord(set, rec));
					td.appendChild(del);
				}
				tr.appendChild(td);
				body.appendChild(tr);
			}
		}
	}

	// The records MTA-STS writes while it is on or being removed: the API refuses edits of
	// them (the checkbox changes them), so they get no delete button.
	function managed(name) {
		if (stsState === "off")
			return false;
		return ["_mta-sts.", "mta-sts.", "_smtp._tls.", "_acme-challenge.mta-sts."]
			.some((p) => name === p + zone.name);
	}

	// The absolute name for what was typed: "@" or nothing is the apex, a relative name is in the zone.
	function absName(text) {
		const t = text.trim();
		if (t === "" || t === "@")
			return zone.name;
		if (t.endsWith("."))
			return t;
		return t + "." + zone.name;
	}

	async function patch(doing, set) {
		try {
			await api("PATCH", zonePath(zone), { rrsets: [set] });
			await loadRecords();
			return true;
		} catch (err) {
			fail(doing, err);
			return false;
		}
	}

	async function addRecord(ev) {
		ev.preventDefault();
		clearError();
		const name = absName($("add-name").value);
		const type = $("add-type").value;
		const content = $("add-content").value.trim();
		const ttl = Number($("add-ttl").value);
		if (content === "") {
			showError("Add a record: enter the content.");
			$("add-content").focus();
			return;
		}
		if (!Number.isInteger(ttl) || ttl < 0 || ttl > 2147483647) {
			showError("Add a record: the TTL is a whole number from 0 to 2147483647.");
			$("add-ttl").focus();
			return;
		}
		// REPLACE sets the whole RRset: the records it has plus the new one.
		const old = rrsets.find((s) => s.name === name && s.type === type);
		const records = old ? old.records.filter((r) => r.content !== content) : [];
		records.push({ content, disabled: false });
		const ok = await patch("Adding " + name + " " + type,
			{ name, type, ttl, changetype: "REPLACE", records });
		if (ok)
			$("add-content").value = "";
	}

	async function deleteRecord(set, rec) {
		clearError();
		const rest = set.records.filter((r) => r !== rec);
		const change = rest.length > 0
			? { name: set.name, type: set.type, ttl: set.ttl, changetype: "REPLACE", records: rest }
			: { name: set.name, type: set.type, changetype: "DELETE" };
		await patch("Deleting " + set.name + " " + set.type + " " + rec.content, change);
	}

	/* MTA-STS */

	function stsPath(z) {
		return zonePath(z) + "/mta-sts";
	}

	async function loadSts() {
		const z = zone;
		const seq = ++stsSeq;
		let res = null;
		try {
			res = await api("GET", stsPath(z));
		} catch (err) {
			if (!(err instanceof ApiError && err.status === 404)) {
				if (zone === z && seq === stsSeq) {
					fail("Reading the MTA-STS state of " + z.name, err);
					pollFailed = true;
				}
				schedule(POLL_IDLE_MS);
				return;
			}
		}
		if (zone !== z || seq !== stsSeq)
			return;
		if (pollFailed)
			clearError();	// the API answers again: the poll's own error is over
		pollFailed = false;
		renderSts(res);
		schedule(res && BUSY_STATES.includes(res.state) ? POLL_BUSY_MS : POLL_IDLE_MS);
	}

	function schedule(ms) {
		stopPolling();
		if (zone !== null)
			pollTimer = setTimeout(loadSts, ms);
	}

	function stopPolling() {
		if (pollTimer !== null)
			clearTimeout(pollTimer);
		pollTimer = null;
	}

	function show(lineId, valueId, value) {
		$(lineId).hidden = value === null || value === undefined || value === "";
		$(valueId).textContent = $(lineId).hidden ? "" : String(value);
	}

	// An RFC 3339 UTC time from the API, as people read it: "2026-12-03 13:00 UTC".
	function when(t) {
		const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d)(:\d\d(\.\d+)?)?Z$/.exec(t || "");
		return m ? m[1] + " " + m[2] + " UTC" : t;
	}

	// The certificate's expiry, when the API reports it (docs/openapi.json: MtaSts.certificate).
	function certExpiry(c) {
		return c && c.not_after ? when(c.not_after) : null;
	}

	function renderSts(r) {
		// Polls mostly bring the same answer: leave the live region alone then, so that
		// screen readers announce changes only.
		const shown = JSON.stringify(r);
		if (shown === stsShown)
			return;
		stsShown = shown;
		const state = r ? r.state || "off" : "off";
		if (r !== null) {
			// A new state or id changed the managed records: read them again.
			const seen = state + " " + (r.id || "");
			if (stsSeen !== null && seen !== stsSeen)
				loadRecords();
			stsSeen = seen;
		}
		if (state !== stsState) {
			stsState = state;
			renderRecords();	// which records are managed
		}
		const enabled = !!r && r.enabled === true;
		$("sts-enabled").checked = enabled;
		if (r && (r.mode === "testing" || r.mode === "enforce"))
			$("sts-mode").value = r.mode;
		const st = $("sts-state");
		st.textContent = state;
		st.className = "state-" + state;
		show("sts-reason-line", "sts-reason", r ? r.reason : null);
		show("sts-id-line", "sts-id", r ? r.id : null);

		const eps = (r && r.endpoints) || [];
		const body = $("sts-endpoints");
		body.replaceChildren();
		for (const e of eps) {
			const tr = el("tr");
			tr.appendChild(el("td", e.address));
			tr.appendChild(el("td", e.served_version === null || e.served_version === undefined ? "none" : e.served_version));
			tr.appendChild(el("td", e.last_fetch ? when(e.last_fetch) : "never"));
			body.appendChild(tr);
		}
		$("sts-endpoints-box").hidden = eps.length === 0;
		show("sts-cert-line", "sts-cert", r ? certExpiry(r.certificate) : null);
		renderTlsrpt(r ? r.tlsrpt : null);
	}

	// TLS reports, when the API has them (MtaSts.tlsrpt.days, oldest first): newest first, 14 days.
	function renderTlsrpt(t) {
		const days = t && Array.isArray(t.days) ? t.days : [];
		const body = $("sts-tlsrpt");
		body.replaceChildren();
		for (const d of days.slice(-14).reverse()) {
			const tr = el("tr");
			tr.appendChild(el("td", d.day));
			tr.appendChild(el("td", d.success));
			tr.appendChild(el("td", d.failure));
			body.appendChild(tr);
		}
		$("sts-tlsrpt-box").hidden = days.length === 0;
	}

	async function toggleSts() {
		clearError();
		const z = zone;
		const box = $("sts-enabled");
		const on = box.checked;
		box.disabled = true;
		stsSeq++;	// a poll in flight must not undo the tick
		try {
			const r = on
				? await api("PUT", stsPath(z), { mode: $("sts-mode").value })
				: await api("DELETE", stsPath(z));
			if (zone === z)
				renderSts(r);
		} catch (err) {
			box.checked = !on;
			fail((on ? "Turning MTA-STS on for " : "Turning MTA-STS off for ") + z.name, err);
		} finally {
			box.disabled = false;
			if (zone === z)
				schedule(POLL_BUSY_MS);
		}
	}

	async function changeMode() {
		clearError();
		if (!$("sts-enabled").checked)
			return;	// the mode is sent when the box is ticked
		const z = zone;
		stsSeq++;
		try {
			const r = await api("PUT", stsPath(z), { mode: $("sts-mode").value });
			if (zone === z)
				renderSts(r);
		} catch (err) {
			fail("Changing the MTA-STS mode of " + z.name, err);
		} finally {
			if (zone === z)
				schedule(POLL_BUSY_MS);
		}
	}

	document.addEventListener("DOMContentLoaded", () => {
		$("login-form").addEventListener("submit", login);
		$("logout").addEventListener("click", () => logout(true));
		$("add-form").addEventListener("submit", addRecord);
		$("sts-enabled").addEventListener("change", toggleSts);
		$("sts-mode").addEventListener("change", changeMode);
		if (sessionStorage.getItem(TOKEN_KEY)) {
			loadZones().catch((err) => fail("Reading the zones", err));
		} else {
			$("token").focus();
		}
	});
})();
