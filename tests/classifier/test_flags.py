"""Flag rules: each flag fires on its words, a negated statement does not, a conditional threat does."""

from __future__ import annotations

import pytest

from classifier.pipeline import ClassifyInput

FIRES = {
    "media_exposure": "信用卡年费不退，我已经把这件事发到微博上了。",
    "regulator_escalation": "贷款的事我已经打了12378，也向金融监管总局反映了。",
    "litigation": "贵行擅自扣款，本人已委托律师，将向法院提起诉讼。",
    "self_harm_or_violence": "催收天天打电话，我真的不想活了。",
    "group_complaint": "我们小区几十户业主联名反映房贷利率问题。",
    "vulnerable_customer": "我母亲82岁了，行动不便，存款取不出来。",
    "repeat_complaint": "这件事我已经多次投诉，至今没有任何答复。",
    "proxy_agent": "本人受王某委托，作为其代理人就信用卡债务与贵行协商停息挂账。",
}

NEGATED = {
    "media_exposure": "客户表示不会去媒体曝光，只希望退还年费。",
    "regulator_escalation": "我暂时不考虑向监管部门投诉，希望网点尽快解冻。",
    "litigation": "本人并不想打官司，只希望尽快解押。",
    "self_harm_or_violence": "你们放心，我不会想不开的，但催收太过分了。",
}

CONDITIONAL = {
    "media_exposure": "要是这个年费不退，我就发微博曝光你们。",
    "regulator_escalation": "如果三天内不给答复，我就打12378投诉。",
    "litigation": "你们再不减免罚息，我就去法院起诉。",
    "self_harm_or_violence": "账户再不解冻，我就从楼上跳下去。",
}


@pytest.mark.parametrize("flag", FIRES)
def test_each_flag_fires_on_its_words(classifier, flag):
    result = classifier.classify(FIRES[flag])
    assert flag in result.flags
    assert any(line.startswith(f"flag {flag}:") for line in result.explanation)


@pytest.mark.parametrize("flag", NEGATED)
def test_a_negated_statement_raises_no_flag(classifier, flag):
    result = classifier.classify(NEGATED[flag])
    assert flag not in result.flags
    assert any(line.startswith(f"not flagged {flag}: negated") for line in result.explanation)


@pytest.mark.parametrize("flag", CONDITIONAL)
def test_a_conditional_threat_counts(classifier, flag):
    result = classifier.classify(CONDITIONAL[flag])
    assert flag in result.flags
    assert "条件式威胁" in next(line for line in result.explanation if line.startswith(f"flag {flag}:"))


def test_negation_belongs_to_the_condition_not_the_threat(classifier):
    result = classifier.classify("如果你们不会处理，我就去找记者曝光。")
    assert "media_exposure" in result.flags


def test_excluded_phrases_do_not_fire(classifier):
    result = classifier.classify("请问人民银行征信中心的信用报告怎么查询？砍价活动还有吗？")
    assert "regulator_escalation" not in result.flags
    assert "self_harm_or_violence" not in result.flags


def test_an_age_of_65_or_more_marks_a_vulnerable_customer(classifier):
    assert "vulnerable_customer" in classifier.classify("客户今年78岁，定期存款到期无法支取。").flags
    assert "vulnerable_customer" not in classifier.classify("客户今年35岁，定期存款到期无法支取。").flags


@pytest.mark.parametrize(("channel", "flag"), [("social_media", "media_exposure"),
                                                ("regulator_transfer", "regulator_escalation"),
                                                ("hotline_12345", "regulator_escalation")])
def test_the_channel_alone_raises_its_flag(classifier, channel, flag):
    result = classifier.classify(ClassifyInput("信用卡年费被扣了，要求退还。", channel=channel))
    assert flag in result.flags
    assert f"channel={channel}" in " ".join(result.explanation)


def test_a_group_size_from_intake_marks_a_group_complaint(classifier):
    assert "group_complaint" in classifier.classify(ClassifyInput("房贷利率没有下调。", group_size=12)).flags


def test_english_flags_match_whole_words_only(classifier):
    assert "litigation" not in classifier.classify("This issue with my credit card fee is not resolved.").flags
    assert "litigation" in classifier.classify("If the fee is not refunded I will sue the bank.").flags


@pytest.mark.parametrize(("text", "severity"), [
    ("催收天天打电话，我真的不想活了。", "critical"),
    ("我们小区几十户业主已经联名向金融监管局投诉房贷问题。", "critical"),
    ("贷款的事我已经打了12378。", "high"),
    ("请问大额存单的利率是多少？", "low"),
])
def test_severity_follows_the_written_policy(classifier, text, severity):
    assert classifier.classify(text).severity == severity


# Rules drawn from the evaluation sets' misses: each example names the rule it holds.
RAISES = [
    pytest.param("self_harm_or_violence", "卡再不解冻，我就拎一瓶农药去你们营业厅喝给你们看。", id="veiled threat"),
    pytest.param("self_harm_or_violence", "钱全亏了，我活着还有什么意思，不如死了算了。", id="veiled threat"),
    pytest.param("self_harm_or_violence", "再拖着不解冻，我就带刀去你们网点，大不了一起完蛋。",
                 id="threat with a knife"),
    pytest.param("self_harm_or_violence", "每个月要还八千，真不知道还能撑多久，不如一了百了。", id="veiled threat"),
    pytest.param("self_harm_or_violence", "再有人上门，我就提着刀去你们行里找那个人！", id="threat with a knife"),
    pytest.param("self_harm_or_violence", "再不给说法，我就找几个人去把网点砸了。", id="threat to smash the branch"),
    pytest.param("self_harm_or_violence", "我真的还不起了，逼我我就只能喝药了。", id="poison"),
    pytest.param("self_harm_or_violence", "你们要是敢拍我的房子，我就在你们营业厅里点一把火。", id="fire"),
    pytest.param("self_harm_or_violence", "我真的撑不下去了，如果明天之前还没人管，我就去他们总行楼顶。", id="rooftop"),
    pytest.param("self_harm_or_violence", "他在电话中表示如果房子被拍卖，就死在房子里。", id="die in the house"),
    pytest.param("self_harm_or_violence", "我已经把遗书写好放在抽屉里，只是想在走之前再求你们一次。",
                 id="farewell letter"),
    pytest.param("self_harm_or_violence", "每天晚上都在想要不要从桥上下去算了，你们能不能别再加利息了。", id="bridge"),
    pytest.param("self_harm_or_violence", "今晚再不到账我就真的只能去天台了。", id="rooftop"),
    pytest.param("proxy_agent", "我已经委托了一家维权机构，以后请直接跟他们联系。", id="rights agency"),
    pytest.param("proxy_agent", "我是信用管理公司的，受客户王先生委托，就他的逾期记录申请征信异议。",
                 id="agent named by what it does"),
    pytest.param("proxy_agent", "客户已委托一家停催服务中心代为处理，要求银行停止所有催收联系。",
                 id="agent named by what it does"),
    pytest.param("group_complaint", "园区内12家小微企业负责人联合反映续贷被收紧。", id="group counted in digits"),
    pytest.param("group_complaint", "客户代表菜市场十余名摊主来电，称零钱存款被拒收。", id="group counted in words"),
    pytest.param("group_complaint", "一群投资人今天在银行门口拉横幅了。", id="a crowd"),
    pytest.param("group_complaint", "投诉人李某等15人系同一小区业主，反映提前还款违约金问题。", id="named and counted"),
    pytest.param("group_complaint", "其所在村四十余户村民的定期存款到期后无法全额支取。",
                 id="customers as a collective"),
    pytest.param("repeat_complaint", "投诉人已多次通过银行客服投诉，银行仅同意减免部分违约金。",
                 id="count before the verb"),
    pytest.param("repeat_complaint", "我司已于今年3月、5月两次书面向贵行反映抽贷问题，均未获回复。",
                 id="count before the verb"),
    pytest.param("repeat_complaint", "其征信异议已向银行提交三次，每次均答复正在核实。", id="objection filed N times"),
    pytest.param("repeat_complaint", "客户称自己已经是第三回来电，问题还是那个。", id="Nth call"),
    pytest.param("repeat_complaint", "这个问题我已经反映第四次了，征信上还是显示贷款未结清。", id="Nth time"),
    pytest.param("repeat_complaint", "这事我说了多少遍了，你们还是不给看持仓明细。", id="said it many times"),
    pytest.param("repeat_complaint", "邮寄补卡的按钮点了就报错，上周已经反馈过一次了。", id="reported once before"),
    pytest.param("repeat_complaint", "第五次反馈同一个问题：手机银行转账到输入密码那一步就白屏退出。", id="Nth report"),
    pytest.param("repeat_complaint", "这是我第二次在官网留言了，上次留言一个月没人理。", id="Nth message"),
    pytest.param("litigation", "现在亏了就说是我自己选的？我已经找好律师了，法院见！", id="lawyer ready"),
    pytest.param("vulnerable_customer", "我儿子今年15岁，要办一张卡交住宿费，网点一直不给办。", id="minor"),
    pytest.param("vulnerable_customer", "客户自称十五岁，借记卡被限制交易。", id="minor in numerals"),
    pytest.param("vulnerable_customer", "我叫孙某，今年六十九岁，是儿子消费贷的担保人。", id="age in numerals"),
    pytest.param("vulnerable_customer", "信是我闺女帮我写的。我今年66了，一个人住。", id="age without 岁"),
    pytest.param("vulnerable_customer", "我外公九十多了，一个人去网点换存折，站了一上午。", id="age without 岁"),
    pytest.param("vulnerable_customer", "客户本人孕晚期，在网点等了两个小时无人安排座位。", id="pregnancy"),
    pytest.param("vulnerable_customer", "客户自称不太识字，合同条款都是柜员念给他听的。", id="low literacy"),
    pytest.param("litigation", "如果你们下周还不解冻，我就去法院起诉我行的这个支行。", id="suing 我行, not 起诉我"),
    pytest.param("litigation", "继承权判决书下来后银行若还推脱，家属将另行起诉。", id="另行起诉, not 行起诉"),
    pytest.param("repeat_complaint", "这件事我给客服打了不下十次电话，每次都说登记了。", id="no fewer than N times"),
    pytest.param("repeat_complaint", "投诉人先后三次向网点申请解除限制，均被告知等待。", id="N times in turn"),
    pytest.param("repeat_complaint", "这是我第三次在评论区@你们了，退款到底什么时候到？", id="Nth mention"),
    pytest.param("group_complaint", "我们楼里九个人商量好了，明天一起去支行讨说法。", id="N people acting together"),
    pytest.param("group_complaint", "利率说变就变，业主群里大家决定下周一起去找你们。", id="everyone goes together"),
    pytest.param("self_harm_or_violence", "基金亏了一半 经理说不会亏的 我真想从楼顶跳下去",
                 id="chat clauses split by spaces"),
    pytest.param("self_harm_or_violence", "要是再逼我，我就带着孩子一起走。", id="veiled threat"),
    pytest.param("litigation", "再不退钱我就请律师起诉你们。", id="起诉你们, not 起诉你"),
    pytest.param("proxy_agent", "本公司受储户李女士委托，就其存款被挪用一事致函贵行。", id="agency acting by mandate"),
    pytest.param("proxy_agent", "来电人系征信服务公司员工，代其客户反映逾期记录问题。", id="an agent for its client"),
    pytest.param("self_harm_or_violence", "钱要是追不回来，我真不知道以后还怎么活下去。", id="veiled threat"),
    pytest.param("self_harm_or_violence", "今天不给我办，我就死也死在你们大厅里。", id="die here"),
    pytest.param("self_harm_or_violence", "再不还钱我就揣着农药去支行门口坐着。", id="poison"),
    pytest.param("self_harm_or_violence", "谁敢包庇那个员工，我就跟他拼个你死我活。", id="fight to the death"),
    pytest.param("litigation", "请贵行收到本函后十日内退还利息，否则我将通过诉讼途径解决。",
                 id="a deadline from receipt, then a lawsuit"),
    pytest.param("repeat_complaint", "我已向贵行提出三次书面异议，均未更正。", id="objection raised N times"),
]

DOES_NOT_RAISE = [
    pytest.param("self_harm_or_violence", "客户经营一家农药店，申请的个人经营贷被拒，要求说明理由。",
                 id="pesticide shop"),
    pytest.param("self_harm_or_violence", "信用卡取现的手续费真是跳楼价的利息啊。", id="idiom"),
    pytest.param("self_harm_or_violence", "我欠的是信用卡不是杀人放火！", id="idiom"),
    pytest.param("self_harm_or_violence", "催收员在电话里跟我说还不起钱你怎么不去死，请严肃处理这个人。",
                 id="the collector's words"),
    pytest.param("self_harm_or_violence", "我不是一哭二闹三上吊的人，只想把道理讲清楚。", id="proverb"),
    pytest.param("self_harm_or_violence", "业主群已经炸了，大伙都气炸了，求媒体关注！", id="idiom"),
    pytest.param("group_complaint", "贵行抽贷导致我司停产，200余名员工面临失业。",
                 id="people affected, not complaining"),
    pytest.param("group_complaint", "一位七十多岁的老人来网点要求取出全部存款。", id="an age, not a count"),
    pytest.param("group_complaint", "催收人员在村里张贴催款告知，客户称全村都知道了。", id="the whole village knows"),
    pytest.param("group_complaint", "我和丈夫的征信都因同一笔联名房贷出现逾期。", id="joint mortgage"),
    pytest.param("repeat_complaint", "客户表示若三个工作日内仍无答复将再次来电。", id="a future call"),
    pytest.param("repeat_complaint", "客户分三次还清了欠款。", id="a count of payments"),
    pytest.param("repeat_complaint", "催收员一天给我打三次电话。", id="the collector's calls"),
    pytest.param("repeat_complaint", "商贷部分迟迟不放款，市民多次联系客户经理均称在走流程。", id="following up"),
    pytest.param("repeat_complaint", "客户来电称，上周反映的积分未到账问题已经处理好了，这次是想问另一件事。",
                 id="resolved before"),
    pytest.param("litigation", "银行已将其公司起诉至法院要求偿还贷款，客户希望银行撤诉。", id="the bank sues"),
    pytest.param("litigation", "客户收到律师函，说信用卡欠款再不还就要被银行起诉。", id="the bank's lawyer letter"),
    pytest.param("litigation", "客户的卡被法院冻结，解除冻结裁定书已交给网点，账户仍未解冻。", id="a court freeze"),
    pytest.param("litigation", "客户此前因信用卡欠款被我行起诉，已按调解书还清。", id="the bank sued"),
    pytest.param("vulnerable_customer", "我叫孙某，今年四十九岁，是儿子消费贷的担保人。", id="an adult under 65"),
    pytest.param("vulnerable_customer", "取号机前排了很多老人，网点却只开了一个窗口。", id="a crowd of elderly people"),
    pytest.param("litigation", "工厂因为贷款拖着不批，已经被材料商告上法庭了。", id="the customer is being sued"),
    pytest.param("litigation", "收到你们的催款短信，求求先别起诉，我月底一定还上。", id="asking the bank not to sue"),
    pytest.param("litigation", "错报是你们的错，但我没那个精力打官司，只求把记录改掉。", id="no energy to sue"),
    pytest.param("media_exposure", "本来想去微博上说说，后来想想还是先问你们：年费为什么没免？",
                 id="thought of it, did not"),
    pytest.param("media_exposure", "我刷抖音看到说这张卡首年免年费，为什么扣了我三百？", id="saw it on social media"),
    pytest.param("regulator_escalation", "贵行作为预售资金的监管银行，没有尽到监管职责。",
                 id="the bank as escrow supervisor"),
    pytest.param("group_complaint", "催收员打到我单位前台，说我欠钱不还，弄得全公司都知道了。",
                 id="the whole office knows"),
    pytest.param("group_complaint", "客服热线排队排到第一百多位了，这还怎么办事？", id="a queue position"),
    pytest.param("litigation", "客户收到银行短信称“逾期将依法提起诉讼”，客户愿意先还本金。", id="the bank's message"),
    pytest.param("litigation", "朋友说可以去告你们，我懒得告，把费用退了就行。", id="a lawsuit turned down"),
    pytest.param("proxy_agent", "有个代理退保公司天天打电话，我已明确拒绝，只想跟银行自己谈。",
                 id="an agent turned down"),
    pytest.param("regulator_escalation", "柜员让我自己去人民银行打印报告，连个说明都没有。",
                 id="sent to the central bank"),
    pytest.param("repeat_complaint", "催收人员多次到投诉人家中上门，邻居都围过来看。", id="投诉人 as a noun"),
    pytest.param("self_harm_or_violence", "这基金的净值走势跟跳楼一样，一个月跌了一成。", id="idiom"),
    pytest.param("litigation", "银行称将起诉并拍卖房产，客户请求延期。", id="the bank's words"),
    pytest.param("litigation", "对方自称法院工作人员，说已经对我立案，后来才知道是催收冒充的。", id="a fake court"),
    pytest.param("regulator_escalation", "老人行动不便，网点却要求本人到场。", id="人行 inside other words"),
    pytest.param("regulator_escalation", "我不懂什么监管部门，只想请领导看看这封信。", id="not an escalation"),
    pytest.param("vulnerable_customer", "手机银行瘫痪了三个小时，转账一笔都没成功。", id="an app down, not a person"),
    pytest.param("proxy_agent", "网点不能上门，要求由代理人持公证委托书办理。", id="the bank's power-of-attorney rule"),
    pytest.param("proxy_agent", "这封信是女儿帮我打字的，不是什么代理公司。", id="no agent"),
    pytest.param("proxy_agent", "有家资产管理公司说受贵行委托催收他的欠款，他想确认真假。", id="acting for the bank"),
    pytest.param("proxy_agent", "银行把职工信息提供给第三方保险代理公司，职工频繁接到推销电话。",
                 id="insurance agency"),
    pytest.param("proxy_agent", "客户代亲属支取存单，因无法提供被代理人的授权委托书未能办理。",
                 id="a relative's power of attorney"),
]


@pytest.mark.parametrize(("flag", "text"), RAISES)
def test_the_flag_is_raised(classifier, flag, text):
    assert flag in classifier.classify(text).flags


@pytest.mark.parametrize(("flag", "text"), DOES_NOT_RAISE)
def test_the_flag_is_not_raised(classifier, flag, text):
    assert flag not in classifier.classify(text).flags


@pytest.mark.parametrize("text", ["有个征信修复的公司打电话说能帮我删，我没理他们，我就找你们。",
                                  "有个维权公司找上门说能帮他免掉费用，他没理会，想自己跟银行谈。"])
def test_an_agent_the_customer_turned_down_is_not_a_proxy_agent(classifier, text):
    result = classifier.classify(text)
    assert "proxy_agent" not in result.flags
    assert any(line.startswith("not flagged proxy_agent: negated") for line in result.explanation)


# English rules: each flag in the shapes English complaints use, and the look-alikes that are not it.
ENGLISH_RAISES = [
    pytest.param("self_harm_or_violence", "If this money is gone I honestly see no reason to go on.",
                 id="veiled self-harm"),
    pytest.param("self_harm_or_violence", "I will not go quietly. Somebody at that branch is going to get hurt.",
                 id="threat after a full stop"),
    pytest.param("self_harm_or_violence", "If they foreclose I will not leave it alive.", id="not leave it alive"),
    pytest.param("self_harm_or_violence", "If it is gone I don't know what I will do to myself.",
                 id="veiled self-harm"),
    pytest.param("repeat_complaint", "This is now my third complaint about the same fee.", id="Nth complaint"),
    pytest.param("repeat_complaint", "I complained by phone on XX/XX/XXXX, by email on XX/XX/XXXX and in person.",
                 id="dated contacts"),
    pytest.param("repeat_complaint", "I have written to you four times and each time I was told to wait.",
                 id="counted contacts"),
    pytest.param("group_complaint", "We are 24 households who took mortgages on the same project.", id="we are N"),
    pytest.param("group_complaint", "Seven tenants of our building came together to the branch.", id="came together"),
    pytest.param("vulnerable_customer", "I am 81 and I do not have a smartphone.", id="an age"),
    pytest.param("vulnerable_customer", "My husband is 70 years old and hard of hearing.", id="an age and hearing"),
    pytest.param("proxy_agent", "We act on behalf of our client under the signed letter of authority.",
                 id="an agent's letter"),
    pytest.param("litigation", "My solicitors will start proceedings next week.", id="solicitors"),
    pytest.param("media_exposure", "Refund me or I will post this on Instagram and Reddit.", id="social media"),
    pytest.param("regulator_escalation", "I have already written to the NFRA and the PBOC.", id="Chinese regulators"),
]

ENGLISH_DOES_NOT_RAISE = [
    pytest.param("litigation", "The collector said the bank would sue me if I did not pay.", id="the bank sues"),
    pytest.param("litigation", "My state attorney general will hear about this.", id="attorney general"),
    pytest.param("litigation", "The branch wants a court order before it opens the box.", id="a court order"),
    pytest.param("litigation", "Their letter says the bank will file suit unless I pay.", id="the bank's letter"),
    pytest.param("litigation", "I am not looking to sue anyone, I just want the fee back.", id="not looking to"),
    pytest.param("media_exposure", "I saw on the news that your branch is closing.", id="news mentioned"),
    pytest.param("repeat_complaint", "The collector has called me five times a day this week.",
                 id="the collector's calls"),
    pytest.param("vulnerable_customer", "Your system had disabled my autopay during an upgrade.",
                 id="disabled as a verb"),
    pytest.param("group_complaint", "The agreement adds a class action waiver.", id="class action waiver"),
    pytest.param("regulator_escalation", "The teller sent me to the central bank to exchange the note.",
                 id="sent to the central bank"),
    pytest.param("self_harm_or_violence", "Please shoot me an email when it is fixed.", id="idiom"),
    pytest.param("proxy_agent", "A debt relief company called me but I refused.", id="an agent turned down"),
]


@pytest.mark.parametrize(("flag", "text"), ENGLISH_RAISES)
def test_the_english_flag_is_raised(classifier, flag, text):
    assert flag in classifier.classify(ClassifyInput(text, language="en")).flags


@pytest.mark.parametrize(("flag", "text"), ENGLISH_DOES_NOT_RAISE)
def test_the_english_flag_is_not_raised(classifier, flag, text):
    assert flag not in classifier.classify(ClassifyInput(text, language="en")).flags
