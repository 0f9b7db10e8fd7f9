// Served compressed (app.js.gz) to clients that accept gzip.
const status = document.getElementById('script-status');
status.textContent = 'The script ran: it was loaded from /static/app.js.';
status.className = 'ran';
