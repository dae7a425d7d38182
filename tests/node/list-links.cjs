// A client written as the Inbox Enterprise API docs show (axios, Bearer API
// token): prints the team and its account links as JSON, or the error answer.
const axios = require('axios');

class InboxClient {
  constructor(apiToken, baseURL) {
    this.client = axios.create({
      baseURL,
      headers: {
        'Authorization': `Bearer ${apiToken}`,
        'Content-Type': 'application/json'
      }
    });
    this.client.interceptors.response.use(
      response => response,
      error => {
        if (error.response?.status === 401) {
          console.error('Authentication failed. Check your API token.');
        }
        return Promise.reject(error);
      }
    );
  }

  async getTeam() {
    const { data } = await this.client.get('/team');
    return data;
  }

  async getAccountLinks() {
    const { data } = await this.client.get('/account-links');
    return data.accountLinks;
  }
}

(async () => {
  const client = new InboxClient(process.env.INBOX_API_TOKEN, process.env.INBOX_API_URL);
  try {
    const team = await client.getTeam();
    const accountLinks = await client.getAccountLinks();
    console.log(JSON.stringify({ team, accountLinks }));
  } catch (error) {
    console.log(JSON.stringify({ status: error.response?.status, body: error.response?.data }));
    process.exitCode = 1;
  }
})();
