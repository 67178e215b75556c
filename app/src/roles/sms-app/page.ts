/** The `/sms/` page: a form whose script posts JSON to `./` and says whether the model agrees. */
export function smsPage(appVersion: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>SMS spam checker</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }
textarea { width: 100%; min-height: 6rem; }
#result { margin-top: 1rem; font-weight: bold; }
footer { margin-top: 2rem; color: #666; font-size: 0.85rem; }
</style>
</head>
<body>
<h1>Is it spam?</h1>
<form id="sms-form">
  <label for="sms">Message</label>
  <textarea id="sms" name="sms"></textarea>
  <p>Your guess:
    <label><input type="radio" name="guess" value="spam" checked> spam</label>
    <label><input type="radio" name="guess" value="ham"> ham (not spam)</label>
  </p>
  <button type="submit">Check</button>
</form>
<div id="result" role="status"></div>
<footer>app ${appVersion}</footer>
<script>
// The server judges the message (its length in characters, not UTF-16 units; blank or too long)
// and its error is shown as it is; every other failure gets a sentence a person can act on.
const form = document.getElementById("sms-form");
const button = form.querySelector("button");
const out = document.getElementById("result");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const sms = document.getElementById("sms").value;
  const guess = document.querySelector("input[name=guess]:checked").value;
  out.textContent = "Checking...";
  button.disabled = true;
  try {
    out.textContent = await verdict(sms, guess);
  } finally {
    button.disabled = false;
  }
});
async function verdict(sms, guess) {
  let res;
  try {
    res = await fetch("./", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ sms, guess }) });
  } catch (err) {
    return "Cannot reach the checker; check your connection and try again. (" + err.message + ")";
  }
  let body;
  try {
    body = await res.json();
  } catch {
    return "Error: the server answered " + res.status + " " + res.statusText + " without an explanation; try again later.";
  }
  const error = body && typeof body.error === "string" ? body.error : undefined;
  if (res.status === 502 || res.status === 504) return "The classifier is not available right now; try again later. (" + (error ?? res.status) + ")";
  if (!res.ok) return "Error: " + (error ?? "the server answered " + res.status);
  if (body.result !== "spam" && body.result !== "ham") return "Error: the server answered without a verdict; try again later.";
  return (body.result === body.guess ? "The classifier agrees: " : "The classifier disagrees: ") + body.result + " (" + body.classifier + ")";
}
</script>
</body>
</html>
`;
}
