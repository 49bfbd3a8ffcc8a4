// The host page's own code: a button that must keep working whatever cuekit does.
const button = document.getElementById('host-button');
const count = document.getElementById('host-count');
let clicks = 0;
button.addEventListener('click', () => {
  clicks += 1;
  count.textContent = String(clicks);
});
