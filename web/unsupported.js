// Runs only in browsers too old for JavaScript modules (and so for this page): say so.
document.getElementById('no-websocket').removeAttribute('hidden');
