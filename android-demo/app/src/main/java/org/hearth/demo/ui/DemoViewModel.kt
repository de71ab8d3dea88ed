package org.hearth.demo.ui

import android.app.Application
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.viewModelScope
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.launch
import org.hearth.demo.model.ConsentChoice
import org.hearth.demo.model.DemoState
import org.hearth.demo.model.HearthDemo
import org.hearth.demo.platform.androidDemoSettings

/**
 * Owns the [HearthDemo] model for the app's lifetime (it survives rotation)
 * and turns UI events into model calls. No logic of its own: every function
 * launches the model's main-safe suspend function in [viewModelScope]; the
 * model runs the Hearth calls on `Dispatchers.IO` and publishes [state].
 */
class DemoViewModel(application: Application) : AndroidViewModel(application) {
    private val model = HearthDemo(androidDemoSettings(application))

    /** Everything the screens show. */
    val state: StateFlow<DemoState> = model.state

    init {
        viewModelScope.launch { model.start() }
    }

    private fun act(block: suspend HearthDemo.() -> Unit) {
        viewModelScope.launch { model.block() }
    }

    fun refreshFeed() {
        act { refreshFeed() }
    }

    fun readArticle(id: String, dwellMs: Long) {
        act { readArticle(id, dwellMs) }
    }

    fun adShown(token: String) {
        act { adShown(token) }
    }

    fun adClicked(token: String) {
        act { adClicked(token) }
    }

    fun likeAd(token: String) {
        act { likeAd(token) }
    }

    fun hideAdvertiser(token: String) {
        act { hideAdvertiser(token) }
    }

    fun unhideAdvertiser(advertiserId: String) {
        act { unhideAdvertiser(advertiserId) }
    }

    fun removeInterest(topicId: String) {
        act { removeInterest(topicId) }
    }

    fun allowInterest(topicId: String) {
        act { allowInterest(topicId) }
    }

    fun setConsent(choice: ConsentChoice) {
        act { setConsent(choice) }
    }

    fun reset() {
        act { reset() }
    }

    fun uploadReports() {
        act { uploadReports() }
    }

    fun skipToNextDay() {
        act { skipToNextDay() }
    }

    fun refresh() {
        act { refresh() }
    }

    fun eraseAndStartOver() {
        act { eraseAndStartOver() }
    }

    fun flush() {
        act { flush() }
    }

    fun dismissError() {
        model.dismissError()
    }

    /** The activity is finishing: close the engine (one final write, a few milliseconds). */
    override fun onCleared() {
        model.close()
    }
}
