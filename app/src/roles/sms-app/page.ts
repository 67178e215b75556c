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
  <textarea id="sms" name="sms" maxlength="1600" required></textarea>
  <p>Your guess:
    <label><input type="radio" name="guess" value="spam" checked> spam</label>
    <label><input type="radio" name="guess" value="ham"> ham (not spam)</label>
  </p>
  <button type="submit">Check</button>
</form>
<div id="result" role="status"></div>
<footer>app ${appVersion}</footer>
<script>
document.getElementById("sms-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const out = document.getElementById("result");
  const sms = document.getElementById("sms").value;
  const guess = document.querySelector("input[name=guess]:checked").value;
  out.textContent = "Checking...";
  try {
    const res = await fetch("./", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ sms, guess }) });
    const body = await res.json();
    if (!res.ok) { out.textContent = "Error: " + body.error; return; }
    out.textContent = (body.result === body.guess ? "The classifier agrees: " : "The classifier disagrees: ") + body.result + " (" + body.classifier + ")";
  } catch (err) {
    out.textContent = "Error: " + err;
  }
});
</script>
</body>
</html>
`;
}
