/* The counter (/scan): what the page's script adds to the plain forms.
 *
 * - The code input is always the target: a letter or digit typed while the focus is elsewhere
 *   clears it, focuses it and goes into it, so a USB scanner (it types the code, then Enter)
 *   works without a click.
 * - Enter verifies through POST /scan/verify; the server's verdict band replaces the old one
 *   and stays until the next scan; a sound says yes or no (Web Audio, no files).
 * - Each scan gets its own Idempotency-Key, made here; the hand-over (POST /scan/consume)
 *   sends it, and a hand-over whose answer was lost is sent again with the same key, so it is
 *   never done twice. No answer at all (network error, 5xx): the grey "do not hand over".
 * - The camera scans QR codes where the browser allows (a secure context): the native
 *   BarcodeDetector where it reads QR, else the vendored qr-scanner with its worker file.
 */
(function () {
  "use strict";

  var form = document.getElementById("scan-form");
  var input = document.getElementById("scan-code");
  var area = document.getElementById("verdict-area");
  var counter = document.getElementById("counter");
  if (!form || !input || !area || !counter) return;
  var csrf = form.querySelector('input[name="_csrf_token"]').value;
  var RETRIES = 4;
  var busy = false;

  function normalised(raw) {
    return raw.normalize("NFKC").toUpperCase().replace(/[^A-Z0-9]/g, "");
  }

  function newKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function ready() {
    input.value = "";
    input.focus({ preventScroll: true });
  }

  /* ---- sound: a rising two-note chime for yes, a low buzz for no ---- */
  var audio = null;
  function tone(freq, start, length, type) {
    var osc = audio.createOscillator();
    var gain = audio.createGain();
    osc.type = type;
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, audio.currentTime + start);
    gain.gain.exponentialRampToValueAtTime(0.3, audio.currentTime + start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + start + length);
    osc.connect(gain);
    gain.connect(audio.destination);
    osc.start(audio.currentTime + start);
    osc.stop(audio.currentTime + start + length + 0.05);
  }
  function sound(yes) {
    try {
      var Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return;
      audio = audio || new Context();
      if (yes) {
        tone(880, 0, 0.15, "sine");
        tone(1320, 0.15, 0.25, "sine");
      } else {
        tone(220, 0, 0.25, "square");
        tone(180, 0.3, 0.35, "square");
      }
      counter.setAttribute("data-last-sound", yes ? "yes" : "no");
    } catch (e) {
      /* no sound: the band still says it */
    }
  }

  /* ---- the verdict band ---- */
  function showBand(band) {
    area.replaceChildren(band);
    var tone = band.getAttribute("data-tone");
    sound(tone === "yes");
    var consume = band.querySelector(".consume-form");
    if (consume) wireConsume(consume);
    ready();
    band.scrollIntoView({ block: "nearest" });
  }

  function unreachable() {
    var template = document.getElementById("band-unreachable");
    showBand(template.content.firstElementChild.cloneNode(true));
  }

  function post(url, fields, headers) {
    var body = new URLSearchParams(fields);
    var all = { "x-csrftoken": csrf, "x-counter-fragment": "1" };
    Object.keys(headers || {}).forEach(function (k) { all[k] = headers[k]; });
    return fetch(url, {
      method: "POST",
      body: body,
      headers: all,
      credentials: "same-origin",
      redirect: "manual",
    });
  }

  /* The band in an answer, or null when the answer is none of ours (5xx, a redirect to the
     sign-in page, anything without a band). */
  function bandOf(response, html) {
    if (response.status < 200 || response.status >= 500) return null;
    var holder = document.createElement("template");
    holder.innerHTML = html;
    return holder.content.querySelector(".verdict");
  }

  function refreshToday() {
    fetch("/scan/today", { credentials: "same-origin", redirect: "manual" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var holder = document.createElement("template");
        holder.innerHTML = html;
        var fresh = holder.content.querySelector("#counter-today");
        var old = document.getElementById("counter-today");
        if (fresh && old) old.replaceWith(fresh);
      })
      .catch(function () { /* the figures wait for the next load */ });
  }

  function verify(code) {
    if (busy) return;
    busy = true;
    var scanKey = newKey();
    post("/scan/verify", { code: code })
      .then(function (response) {
        return response.text().then(function (html) { return bandOf(response, html); });
      })
      .then(function (band) {
        if (!band) return unreachable();
        var consume = band.querySelector(".consume-form");
        if (consume) consume.querySelector('input[name="key"]').value = scanKey;
        showBand(band);
      })
      .catch(unreachable)
      .finally(function () { busy = false; });
  }

  function wireConsume(consume) {
    consume.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = consume.querySelector("button");
      button.disabled = true;
      var fields = {
        code: consume.querySelector('input[name="code"]').value,
        key: consume.querySelector('input[name="key"]').value,
      };
      handOver(fields, 0);
    });
  }

  /* A hand-over whose answer is lost may have been done: only the same key may ask again. */
  function handOver(fields, attempt) {
    busy = true;
    post("/scan/consume", fields, { "Idempotency-Key": fields.key })
      .then(function (response) {
        return response.text().then(function (html) { return bandOf(response, html); });
      })
      .then(function (band) {
        if (!band) throw new Error("no answer");
        busy = false;
        showBand(band);
        refreshToday();
      })
      .catch(function () {
        if (attempt + 1 < RETRIES) {
          window.setTimeout(function () { handOver(fields, attempt + 1); }, 400 * (attempt + 1));
        } else {
          busy = false;
          unreachable();
        }
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var code = normalised(input.value);
    if (!code) return ready();
    stopCamera();
    verify(code);
  });

  /* Any letter or digit typed while the focus is elsewhere starts a new code in the input. */
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    if (document.activeElement === input) return;
    if (!/^[A-Za-z0-9]$/.test(event.key)) return;
    event.preventDefault();
    input.value = event.key;
    input.focus();
  });

  var imeWarning = document.getElementById("ime-warning");
  input.addEventListener("compositionstart", function () { if (imeWarning) imeWarning.hidden = false; });
  input.addEventListener("input", function (event) {
    if (imeWarning && !event.isComposing) imeWarning.hidden = true;
  });

  /* ---- the camera ---- */
  var cameraButton = document.getElementById("camera-button");
  var cameraStatus = document.getElementById("camera-status");
  var video = document.getElementById("camera-video");
  var texts = document.getElementById("camera-texts");
  var stream = null;
  var timer = null;

  function say(key) {
    var found = texts && texts.content.querySelector('[data-key="' + key + '"]');
    return found ? found.textContent : key;
  }

  function stopCamera() {
    if (timer) window.clearTimeout(timer);
    timer = null;
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    if (video) video.hidden = true;
    if (cameraButton) cameraButton.textContent = say("start");
  }

  function loadLibrary() {
    if (window.QrScanner) return Promise.resolve(window.QrScanner);
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = counter.getAttribute("data-qr-library");
      script.onload = function () { resolve(window.QrScanner); };
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  /* A function reading one frame: resolves to the code's text, or null when none is seen. */
  function reader() {
    var native = "BarcodeDetector" in window && window.BarcodeDetector.getSupportedFormats;
    var check = native
      ? window.BarcodeDetector.getSupportedFormats().then(function (f) { return f.indexOf("qr_code") >= 0; })
      : Promise.resolve(false);
    return check.then(function (hasQr) {
      if (hasQr) {
        var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        return function (frame) {
          return detector.detect(frame).then(function (found) { return found.length ? found[0].rawValue : null; });
        };
      }
      return loadLibrary().then(function (QrScanner) {
        var worker = new Worker(counter.getAttribute("data-qr-worker"));
        return function (frame) {
          return QrScanner.scanImage(frame, { qrEngine: worker, returnDetailedScanResult: true })
            .then(function (r) { return r.data; }, function () { return null; });
        };
      });
    });
  }
  window.counterQrReader = reader; /* the browser tests read a picture through the same path */

  function startCamera() {
    if (!window.isSecureContext) { cameraStatus.textContent = say("insecure"); return; }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      cameraStatus.textContent = say("missing");
      return;
    }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (s) {
        stream = s;
        video.srcObject = s;
        video.hidden = false;
        cameraButton.textContent = say("stop");
        cameraStatus.textContent = say("looking");
        return video.play().then(reader);
      })
      .then(function (read) {
        function look() {
          if (!stream) return;
          read(video).then(function (text) {
            if (text && stream) {
              stopCamera();
              input.value = normalised(text);
              verify(input.value);
            } else if (stream) {
              timer = window.setTimeout(look, 250);
            }
          });
        }
        look();
      })
      .catch(function () {
        stopCamera();
        cameraStatus.textContent = say("refused");
        ready();
      });
  }

  if (cameraButton) {
    cameraButton.addEventListener("click", function () {
      if (stream) { stopCamera(); ready(); } else { startCamera(); }
    });
  }

  ready();
})();
