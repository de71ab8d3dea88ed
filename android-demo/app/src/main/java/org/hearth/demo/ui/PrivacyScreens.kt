package org.hearth.demo.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.selection.selectable
import androidx.compose.foundation.text.selection.SelectionContainer
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedCard
import androidx.compose.material3.RadioButton
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.text.font.FontFamily
import androidx.compose.ui.unit.dp
import java.text.DateFormat
import java.util.Date
import org.hearth.demo.model.AuditView
import org.hearth.demo.model.BudgetView
import org.hearth.demo.model.ConsentChoice
import org.hearth.demo.model.DemoState
import org.hearth.demo.model.PayloadRow

/**
 * The privacy dashboard: the only bytes Hearth means to send, exactly as they
 * are (or were) uploaded; the ε budget left; the auditor's verdict on every
 * payload (the same code as the `hearth audit` tool); the upload job; and, in
 * this demo, "skip to tomorrow" to close today's report without waiting for
 * midnight UTC.
 */
@Composable
fun PrivacyScreen(state: DemoState, vm: DemoViewModel) {
    val p = state.privacy
    LazyColumn(
        contentPadding = ScreenPadding,
        verticalArrangement = Arrangement.spacedBy(12.dp),
        modifier = Modifier.fillMaxSize(),
    ) {
        item(key = "intro") {
            Text(
                "Reports hold only noised counts (local differential privacy): no id, no profile, nothing finer " +
                    "than a day. One closes at midnight UTC. This app has no Internet permission: uploads go to a log.",
                style = MaterialTheme.typography.bodyMedium,
            )
        }
        item(key = "actions") {
            Column(verticalArrangement = Arrangement.spacedBy(4.dp)) {
                Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    Button(onClick = vm::uploadReports, enabled = p.pending.isNotEmpty()) { Text("Run upload job") }
                    if (state.clock.canSkip) {
                        OutlinedButton(onClick = vm::skipToNextDay) { Text("Skip to tomorrow (demo)") }
                    }
                }
                Text("Engine time: ${formatTime(state.clock.nowMs)}", style = MaterialTheme.typography.labelSmall)
            }
        }
        p.budget?.let { budget -> item(key = "budget") { BudgetCard(budget) } }
        item(key = "audit") { AuditCard(p.audit) }
        item(key = "pending-header") {
            Text("Waiting for upload (${p.pending.size})", style = MaterialTheme.typography.titleMedium)
        }
        items(p.pending, key = { "pending:${it.handle}" }) { PayloadCard(it) }
        item(key = "sent-header") {
            Text("Sent, last 30 days (${p.sent.size})", style = MaterialTheme.typography.titleMedium)
        }
        items(p.sent, key = { "sent:${it.handle}" }) { PayloadCard(it) }
        item(key = "log") {
            Text(
                "Upload log (files/uploads.jsonl, also in Logcat under HearthDemo): ${p.uploads.size} payload(s). " +
                    "Check it off the phone with `hearth audit uploads.jsonl`.",
                style = MaterialTheme.typography.bodySmall,
            )
        }
    }
}

@Composable
private fun BudgetCard(budget: BudgetView) {
    Card(Modifier.fillMaxWidth()) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(6.dp)) {
            Text(
                "Privacy budget: ε %.1f left of %.1f this week".format(budget.remaining, budget.weeklyCap),
                style = MaterialTheme.typography.titleMedium,
            )
            Text(
                "Each day's report spends ε = %.1f per metric; the budget over any 7 days is %.1f per metric and is never refunded."
                    .format(budget.epsilonPerDay, budget.weeklyCap),
                style = MaterialTheme.typography.bodySmall,
            )
            for (m in budget.metrics) {
                Text("${m.metric}: spent %.1f, left %.1f".format(m.spentLast7Days, m.remaining), style = MaterialTheme.typography.bodySmall)
                LinearProgressIndicator(
                    progress = { (m.remaining / budget.weeklyCap).toFloat().coerceIn(0f, 1f) },
                    modifier = Modifier.fillMaxWidth(),
                )
            }
        }
    }
}

@Composable
private fun AuditCard(audit: AuditView?) {
    Card(Modifier.fillMaxWidth()) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            if (audit == null) {
                Text("Auditor: no payloads yet", style = MaterialTheme.typography.titleMedium)
                return@Column
            }
            Text(
                if (audit.passed) "Auditor: PASS" else "Auditor: FAIL",
                style = MaterialTheme.typography.titleMedium,
                color = if (audit.passed) MaterialTheme.colorScheme.primary else MaterialTheme.colorScheme.error,
            )
            Text(audit.summary, style = MaterialTheme.typography.bodySmall)
            Text(
                "${audit.payloads} payload(s) checked against the published spec, at most ε ${audit.maxEpsilon} per metric.",
                style = MaterialTheme.typography.bodySmall,
            )
            for (v in audit.violations) {
                Text("payload ${v.index}: ${v.rule} — ${v.detail}", style = MaterialTheme.typography.bodySmall)
            }
        }
    }
}

/** One payload, as the exact JSON that is uploaded (selectable, monospace). */
@Composable
private fun PayloadCard(row: PayloadRow) {
    OutlinedCard(Modifier.fillMaxWidth()) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            Text(
                "Day ${row.period} · ${row.bytes} bytes" +
                    (row.acknowledgedAtMs?.let { " · uploaded ${formatTime(it)}" } ?: ""),
                style = MaterialTheme.typography.labelMedium,
            )
            SelectionContainer {
                Text(row.json, fontFamily = FontFamily.Monospace, style = MaterialTheme.typography.bodySmall)
            }
        }
    }
}

/**
 * Settings: consent (what Hearth may do), reset (forget everything), and
 * what is installed and stored.
 */
@Composable
fun SettingsScreen(state: DemoState, vm: DemoViewModel) {
    var confirmReset by remember { mutableStateOf(false) }
    LazyColumn(
        contentPadding = ScreenPadding,
        verticalArrangement = Arrangement.spacedBy(12.dp),
        modifier = Modifier.fillMaxSize(),
    ) {
        item(key = "consent") {
            Column {
                Text("Consent", style = MaterialTheme.typography.titleMedium)
                for (choice in ConsentChoice.entries) {
                    Row(
                        Modifier.fillMaxWidth()
                            .selectable(selected = state.consent == choice, role = Role.RadioButton) { vm.setConsent(choice) }
                            .padding(vertical = 6.dp),
                        verticalAlignment = Alignment.CenterVertically,
                    ) {
                        RadioButton(selected = state.consent == choice, onClick = null)
                        Column(Modifier.padding(start = 8.dp)) {
                            Text(choice.label, style = MaterialTheme.typography.bodyLarge)
                            Text(choice.explanation, style = MaterialTheme.typography.bodySmall)
                        }
                    }
                }
            }
        }
        item(key = "reset") {
            Column(verticalArrangement = Arrangement.spacedBy(4.dp)) {
                Text("Forget everything", style = MaterialTheme.typography.titleMedium)
                Text(
                    "Erases your interests, ad history and settings on this phone. The ad catalog and the privacy budget stay.",
                    style = MaterialTheme.typography.bodySmall,
                )
                OutlinedButton(onClick = { confirmReset = true }) { Text("Reset") }
            }
        }
        item(key = "about") {
            Column(verticalArrangement = Arrangement.spacedBy(4.dp)) {
                Text("On this phone", style = MaterialTheme.typography.titleMedium)
                val c = state.catalog
                Text(
                    if (c == null) {
                        "No ad catalog installed."
                    } else {
                        "Ad catalog v${c.version} (${c.region}): ${c.campaigns} campaigns, ${c.creatives} creatives, " +
                            "${c.bundleBytes} bytes, signed by key ${c.keyId}; ${c.installNote}."
                    },
                    style = MaterialTheme.typography.bodySmall,
                )
                state.storage?.let { s ->
                    Text(
                        "Profile: ${s.eventsRecorded} events learned from, ${s.stateBytes} bytes encrypted at rest " +
                            "(key in the Android Keystore). Taxonomy ${s.taxonomyVersion}.",
                        style = MaterialTheme.typography.bodySmall,
                    )
                }
            }
        }
    }
    if (confirmReset) {
        AlertDialog(
            onDismissRequest = { confirmReset = false },
            title = { Text("Reset Hearth?") },
            text = { Text("Everything Hearth learned about you on this phone is erased. This cannot be undone.") },
            confirmButton = {
                TextButton(onClick = {
                    confirmReset = false
                    vm.reset()
                }) { Text("Reset") }
            },
            dismissButton = { TextButton(onClick = { confirmReset = false }) { Text("Cancel") } },
        )
    }
}

private fun formatTime(ms: Long): String =
    DateFormat.getDateTimeInstance(DateFormat.MEDIUM, DateFormat.SHORT).format(Date(ms))
